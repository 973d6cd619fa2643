import { removeStalePidFile } from "../../state/daemon_state.ts";
import { SlotPool } from "../../state/slot_pool.ts";
import { type GlobalOptions, loadCommandConfig, override, printLine } from "../context.ts";

/** Options of `twitchtool clean`. */
export interface CleanOptions {
  recordLimit?: string;
}

/**
 * `twitchtool clean`: removes owner files of slots nobody holds and daemon pid files of daemons
 * that died, and lists what it removed. Locks decide what is stale, so a live recorder or
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
  if (removed.length === 0) {
    printLine("Nothing stale found");
    return 0;
  }
  printLine(`Removed ${removed.length} stale file(s):`);
  for (const path of removed) printLine(`  ${path}`);
  return 0;
}
