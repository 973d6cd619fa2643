import Table from "cli-table3";
import { SlotPool } from "../../state/slot_pool.ts";
import { type GlobalOptions, loadCommandConfig, override, printLine } from "../context.ts";

/** Options of `twitchtool status`. */
export interface StatusOptions {
  json?: boolean;
  queueDir?: string;
  recordLimit?: string;
}

/** `twitchtool status`: what is recording right now. */
export async function statusCommand(
  options: StatusOptions,
  globals: GlobalOptions,
): Promise<number> {
  const config = await loadCommandConfig(globals, {
    "paths.queue_dir": override(options.queueDir, "--queue-dir"),
    "limits.record_limit": override(options.recordLimit, "--record-limit"),
  });
  const pool = new SlotPool(config.paths.runtimeDir, config.limits.recordLimit);
  const recordings = (await pool.list()).map((slot) => ({
    slot: slot.slot,
    user: slot.username,
    pid: slot.pid,
    started_at: slot.started_at,
    state: slot.state,
  }));
  if (options.json) {
    printLine(JSON.stringify({ recordings }));
    return 0;
  }
  printLine(`Recordings (${recordings.length}/${config.limits.recordLimit} slots in use)`);
  if (recordings.length > 0) {
    const table = new Table({ head: ["slot", "user", "pid", "since", "state"] });
    for (const r of recordings) table.push([r.slot, r.user, r.pid, r.started_at, r.state]);
    printLine(table.toString());
  }
  return 0;
}
