import { removeStalePidFile } from "../../state/daemon_state.ts";
import { SlotPool } from "../../state/slot_pool.ts";
import { removeIfExists } from "../../state/atomic_write.ts";
import { findStaleState } from "../../state/stale_state.ts";
import { type GlobalOptions, loadCommandConfig, override, printLine } from "../context.ts";

/** Options of `twitchtool clean`. */
export interface CleanOptions {
  recordLimit?: string;
}

/**
 * `twitchtool clean`: removes owner files of slots nobody holds, daemon pid files of daemons
 * that died, private streamlink args files and recover locks of dead processes, and lists what
 * it removed. Locks decide what is stale, so a live recorder or
 * daemon is never touched; lock files themselves stay (removing them would race).
 */
export async function cleanCommand(options: CleanOptions, globals: GlobalOptions): Promise<number> {
  const config = await loadCommandConfig(globals, {
    "limits.record_limit": override(options.recordLimit, "--record-limit"),
  });
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
