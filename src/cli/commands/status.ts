import {
  collectStatus,
  type JobView,
  type QueueView,
  type RecordingView,
  statusJsonText,
  type StatusSnapshot,
} from "../../state/status_snapshot.ts";
import type { RetentionState } from "../../state/retention_state.ts";
import type { OutboxView } from "../../state/notify_outbox.ts";
import { uploadLines } from "../upload_lines.ts";
import type { Config } from "../../config/config.ts";
import { journalMessageCount } from "../../chat/chat_counts.ts";
import { ExitCode } from "../../errors.ts";
import { withShutdownSignals } from "../../proc/signals.ts";
import { formatBytes } from "../../util/disk_space.ts";
import { checkedListenAddress, parseListenAddress } from "../../web/listen_address.ts";
import { fromOrigin } from "../../config/value_origin.ts";
import { formatDuration } from "../../util/format_duration.ts";
import { type GlobalOptions, loadCommandConfig } from "../context.ts";
import { printLine } from "../output.ts";
import { renderTable } from "../render_table.ts";
import { badJobLines } from "../bad_job_lines.ts";
import { describeEncoder, describePoller } from "../daemon_lines.ts";
import { localTime, shortPath } from "../human_values.ts";

/** Options of `twitchtool status`. */
export interface StatusOptions {
  json?: boolean;
  /** `host:port`: serve the status page there instead of printing. */
  serve?: string;
}

/**
 * `twitchtool status`: recordings, poller, encoder and queue in one view. `--json` prints one
 * object whose `recordings`, `poller`, `encoder` and `queue` keys scripts rely on.
 */
export async function statusCommand(
  options: StatusOptions,
  globals: GlobalOptions,
): Promise<number> {
  const config = await loadCommandConfig(globals, { tolerant: true });
  if (options.serve !== undefined) return await serveStatus(config, options.serve);
  const status = await collectStatus(config, journalMessageCount);
  if (options.json) {
    printLine(statusJsonText(status));
    return 0;
  }
  const { recordDir, queueDir } = config.paths;
  const short = (path: string) => shortPath(path, recordDir, queueDir);
  printRecordings(status);
  printLine();
  for (const line of describePoller(status.poller)) printLine(line);
  printLine();
  for (const line of describeEncoder(status.encoder, short)) printLine(line);
  printLine();
  printQueue(status.queue, short);
  for (const line of retentionLines(status.retention)) printLine(line);
  for (const line of outboxLines(status.notifications)) printLine(line);
  if (status.uploads.remote !== null || status.uploads.pending_files > 0) {
    for (const line of uploadLines(status.uploads.remote ?? undefined, status.uploads)) {
      printLine(line);
    }
  }
  return 0;
}

/** The slots line and, while any runs, one table row a recording. */
function printRecordings(status: StatusSnapshot): void {
  const { recordings } = status;
  printLine(`Recordings (${recordings.length}/${status.record_limit} slots in use)`);
  if (recordings.length === 0) return;
  const now = Date.now();
  // A chat column only while some recording captures chat.
  const chat = recordings.some((r) => r.chat_messages !== null);
  printLine(renderTable(
    ["slot", "user", "pid", "state", "started", "for", "captured", "live since"].concat(
      chat ? ["chat"] : [],
    ),
    recordings.map((r) => [
      r.slot ?? "-",
      r.user,
      r.pid,
      r.state,
      localTime(r.started_at),
      formatDuration((now - Date.parse(r.started_at)) / 1000),
      formatBytes(r.bytes),
      liveSince(r),
      ...(chat ? [r.chat_messages === null ? "-" : String(r.chat_messages)] : []),
    ]),
  ));
  for (const r of recordings) {
    if (r.growing_file) {
      printLine(`${r.user}: the .mp4 grows in ${r.growing_file} (plays as it grows)`);
    }
  }
}

/** The queue's summary line, then its pending and failed jobs (paths shortened by `short`). */
function printQueue(queue: QueueView, short: (path: string) => string): void {
  const input = (job: JobView) => job.note ? `${short(job.input)}\n${job.note}` : short(job.input);
  printLine(queueSummary(queue));
  if (queue.pending.length > 0) {
    printLine(renderTable(
      ["created", "input", "output"],
      queue.pending.map((job) => [localTime(job.created_at), input(job), short(job.output)]),
    ));
  }
  if (queue.failed.length > 0) {
    printLine("Failed jobs:");
    printLine(renderTable(
      ["created", "input", "error"],
      queue.failed.map((job) => [localTime(job.created_at), input(job), job.error ?? ""]),
    ));
  }
  for (const line of badJobLines(queue, short)) printLine(line);
}

/** What retention deleted so far and why a capture last stopped for lack of space. */
function retentionLines(retention: RetentionState): string[] {
  const lines: string[] = [];
  if (retention.deleted_files > 0) {
    lines.push(
      `Retention: deleted ${retention.deleted_files} file(s), ${
        formatBytes(retention.deleted_bytes)
      }, last at ${localTime(retention.last_deleted_at ?? "")}`,
    );
  }
  const low = retention.last_low_disk;
  if (low) lines.push(`Last stop for lack of space (${localTime(low.at)}): ${low.detail}`);
  return lines.length > 0 ? ["", ...lines] : [];
}

/** Notifications waiting in the outbox and those dropped (nothing while both are none). */
function outboxLines(outbox: OutboxView): string[] {
  const parts = [];
  if (outbox.waiting > 0) parts.push(`${outbox.waiting} waiting in the outbox`);
  if (outbox.dropped > 0) {
    parts.push(
      `${outbox.dropped} dropped after give_up_after, last at ${
        localTime(outbox.last_dropped_at ?? "")
      }`,
    );
  }
  return parts.length > 0 ? ["", `Notifications: ${parts.join(", ")}`] : [];
}

/**
 * `status --serve ADDR`: the poller's status page without a poller, until SIGINT/SIGTERM.
 * A non-loopback address without `web.token` is refused (exit 2), and so is a `[web] listen`
 * that is no address at all: `--serve` replaces where the page listens, but the config stays
 * the poller's, and a bad value in it is an error like any other.
 */
async function serveStatus(config: Config, listen: string): Promise<number> {
  const configured = config.web.listen;
  if (configured !== undefined) {
    parseListenAddress(configured, `"web.listen"${fromOrigin(config.origins?.["web.listen"])}`);
  }
  const address = checkedListenAddress(listen, config.web.token, "--serve");
  const { startStatusWeb } = await import("../../web/start_status_web.ts");
  return await withShutdownSignals(async (signal) => {
    const web = startStatusWeb(config, address, signal);
    printLine(`Serving the status page at ${web.url} (Ctrl-C stops)`);
    await web.stopped;
    return ExitCode.Ok;
  });
}

/** `Queue: 2 pending, 0 failed, 1 invalid, 1 too young to judge` (the last two when present). */
function queueSummary(queue: QueueView): string {
  const parts = [`${queue.pending.length} pending`, `${queue.failed.length} failed`];
  if (queue.invalid.length) parts.push(`${queue.invalid.length} invalid`);
  if (queue.too_young.length) parts.push(`${queue.too_young.length} too young to judge`);
  return `Queue: ${parts.join(", ")}`;
}

/** `14:03 (+12s)`: when the broadcast began and how late our capture started, or `-` unknown. */
function liveSince(recording: RecordingView): string {
  if (!recording.live_since) return "-";
  const late = recording.late_seconds === null
    ? ""
    : ` (+${formatDuration(recording.late_seconds)})`;
  return `${localTime(recording.live_since)}${late}`;
}
