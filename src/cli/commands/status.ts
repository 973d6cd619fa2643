import { collectStatus, type JobView, type RecordingView } from "../../state/status_snapshot.ts";
import { formatBytes } from "../../util/disk_space.ts";
import {
  type GlobalOptions,
  homeDir,
  loadCommandConfig,
  newTable,
  override,
  printLine,
} from "../context.ts";
import { describeEncoder, describePoller, formatDuration } from "../daemon_lines.ts";

/** Options of `twitchtool status`. */
export interface StatusOptions {
  json?: boolean;
  queueDir?: string;
  recordLimit?: string;
}

/**
 * `twitchtool status`: recordings, poller, encoder and queue in one view. `--json` prints one
 * object whose `recordings`, `poller`, `encoder` and `queue` keys scripts rely on.
 */
export async function statusCommand(
  options: StatusOptions,
  globals: GlobalOptions,
): Promise<number> {
  const config = await loadCommandConfig(globals, {
    "paths.queue_dir": override(options.queueDir, "--queue-dir"),
    "limits.record_limit": override(options.recordLimit, "--record-limit"),
  });
  const status = await collectStatus(config, homeDir());
  if (options.json) {
    printLine(JSON.stringify(status));
    return 0;
  }
  const { recordings, queue } = status;
  printLine(`Recordings (${recordings.length}/${status.record_limit} slots in use)`);
  if (recordings.length > 0) {
    const table = newTable(["slot", "user", "pid", "since", "state", "captured", "live since"]);
    for (const r of recordings) {
      table.push([
        r.slot ?? "-",
        r.user,
        r.pid,
        r.started_at,
        r.state,
        formatBytes(r.bytes),
        liveSince(r),
      ]);
    }
    printLine(table.toString());
  }
  printLine();
  for (const line of describePoller(status.poller)) printLine(line);
  printLine();
  for (const line of describeEncoder(status.encoder)) printLine(line);
  printLine();
  printLine(`Queue: ${queue.pending.length} pending, ${queue.failed.length} failed`);
  if (queue.pending.length > 0) printLine(jobTable(queue.pending, false));
  if (queue.failed.length > 0) {
    printLine("Failed jobs:");
    printLine(jobTable(queue.failed, true));
  }
  return 0;
}

/** `2026-11-22T03:00:00Z (capture 12.5 s late)`, or `-` when the API did not report it. */
function liveSince(recording: RecordingView): string {
  if (!recording.live_since) return "-";
  const late = recording.late_seconds === null
    ? ""
    : ` (capture ${formatDuration(recording.late_seconds)} late)`;
  return `${recording.live_since}${late}`;
}

function jobTable(jobs: readonly JobView[], failed: boolean): string {
  const table = newTable(failed ? ["created", "input", "error"] : ["created", "input", "output"]);
  for (const job of jobs) {
    const input = job.running ? `${job.input} (encoding)` : job.input;
    table.push([job.created_at, input, failed ? job.error ?? "" : job.output]);
  }
  return table.toString();
}
