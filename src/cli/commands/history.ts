import { listRecordings } from "../../state/recording_history.ts";
import { formatBytes } from "../../util/disk_space.ts";
import { formatDuration } from "../../util/format_duration.ts";
import {
  type GlobalOptions,
  loadCommandConfig,
  override,
  printLine,
  renderTable,
} from "../context.ts";
import { localTime } from "../human_values.ts";
import { parseCount } from "../options.ts";

/** Options of `twitchtool history`. */
export interface HistoryOptions {
  json?: boolean;
  limit?: string;
  outputDir?: string;
}

/**
 * `twitchtool history`: the newest finished recordings in record_dir with start, duration,
 * size (of the recording, or of its encode when only that is left) and whether they are
 * encoded; `--json` prints one object with the full values and paths.
 */
export async function historyCommand(
  options: HistoryOptions,
  globals: GlobalOptions,
): Promise<number> {
  const limit = parseCount(options.limit, "--limit", 20);
  const config = await loadCommandConfig(globals, {
    "paths.record_dir": override(options.outputDir, "--output-dir"),
  });
  const recordDir = config.paths.recordDir;
  const recordings = await listRecordings(recordDir, limit);
  if (options.json) {
    printLine(JSON.stringify({ record_dir: recordDir, recordings }));
    return 0;
  }
  if (recordings.length === 0) {
    printLine(`No finished recordings in ${recordDir}`);
    return 0;
  }
  printLine(`Newest ${recordings.length} recording(s) in ${recordDir}`);
  // The chat column only when some recording has chat: the table stays within 80 columns.
  const chat = recordings.some((r) => r.chat_messages !== null);
  printLine(renderTable(
    ["started", "user", "duration", "size", "encoded", ...(chat ? ["chat"] : [])],
    recordings.map((r) => [
      localTime(r.started_at),
      r.user,
      r.duration_seconds === null ? "?" : formatDuration(r.duration_seconds),
      formatBytes(r.bytes ?? r.compressed_bytes ?? 0),
      !r.encoded ? "no" : r.path ? "yes" : "yes, original deleted",
      ...(chat ? [r.chat_messages === null ? "-" : String(r.chat_messages)] : []),
    ]),
  ));
  return 0;
}
