import type { Config } from "../../config/config.ts";
import { heldLine, runRetention } from "../../retention/run_retention.ts";
import { removeStalePidFile } from "../../state/daemon_state.ts";
import { formatBytes } from "../../util/disk_space.ts";
import { SlotPool } from "../../state/slot_pool.ts";
import { removeIfExists } from "../../state/atomic_write.ts";
import { findStaleState } from "../../state/stale_state.ts";
import { type GlobalOptions, loadCommandConfig } from "../context.ts";
import { printLine } from "../output.ts";

/** Options of `twitchtool clean`. */
export interface CleanOptions {
  retention?: boolean;
  dryRun?: boolean;
}

/**
 * `twitchtool clean`: removes owner files of slots nobody holds, daemon pid files of daemons
 * that died, private streamlink args files and recover locks of dead processes, and lists what
 * it removed. Locks decide what is stale, so a live recorder or
 * daemon is never touched; lock files themselves stay (removing them would race).
 */
export async function cleanCommand(options: CleanOptions, globals: GlobalOptions): Promise<number> {
  const config = await loadCommandConfig(globals);
  if (options.retention) return await cleanRetention(config, options.dryRun ?? false);
  const removed = await new SlotPool(config.paths.runtimeDir, config.limits.recordLimit)
    .cleanStale();
  for (const daemon of ["poller", "encoder"] as const) {
    const path = await removeStalePidFile(config.paths.stateDir, daemon);
    if (path) removed.push(path);
  }
  const stale = await findStaleState({
    runtimeDir: config.paths.runtimeDir,
    stateDir: config.paths.stateDir,
    tempDir: config.paths.tempDir,
  });
  for (const path of [...stale.argsFiles, ...stale.recoverLocks]) {
    if (await removeIfExists(path)) removed.push(path);
  }
  if (removed.length === 0) {
    printLine("Nothing stale found");
    return 0;
  }
  printLine(`Removed ${removed.length} stale file(s):`);
  for (const path of removed) printLine(`  ${path}`);
  return 0;
}

/**
 * `clean --retention [--dry-run]`: one retention run now (see docs/notifications.md), listing
 * each file it deletes (or would delete) and why, and the free space measured after it (a dry
 * run can only estimate that).
 */
async function cleanRetention(config: Config, dryRun: boolean): Promise<number> {
  const result = await runRetention(config, { dryRun });
  if (!result.enabled) {
    printLine(
      "Retention is off: set retention.min_free_gb, retention.max_age_days or retention.keep_per_channel",
    );
    return 0;
  }
  const bytes = result.deleted.reduce((sum, d) => sum + d.bytes, 0);
  if (result.deleted.length === 0) {
    printLine(`Nothing to delete (${formatBytes(result.freeBefore)} free)`);
  } else {
    const free = `${formatBytes(result.freeBefore)} -> ${formatBytes(result.freeAfter)}`;
    printLine(
      dryRun
        ? `Would delete ${result.deleted.length} file(s), ${
          formatBytes(bytes)
        } (free: ${free}, an estimate: a file hard-linked elsewhere or still open frees nothing):`
        : `Deleted ${result.deleted.length} file(s), ${formatBytes(bytes)} (free: ${free}):`,
    );
    // One line per file, full path first: easy to read and to feed to other tools.
    for (const d of result.deleted) printLine(`  ${d.path}  ${formatBytes(d.bytes)}  ${d.reason}`);
  }
  if (result.shortfall) {
    printLine("retention.min_free cannot be reached: nothing else may be deleted");
  }
  if (result.heldForUpload > 0) printLine(heldLine(result));
  return 0;
}
