/**
 * `encode-daemon status`, apart from `encode_daemon.ts` (run, stop) so that the running encoder
 * never loads what only its status prints (tables: cli-table3).
 */
import { ExitCode } from "../../errors.ts";
import { type DaemonState, readDaemonState } from "../../state/daemon_state.ts";
import { encoderView, type QueueView, queueView } from "../../state/status_snapshot.ts";
import { type GlobalOptions, loadCommandConfig } from "../context.ts";
import { printLine } from "../output.ts";
import { renderTable } from "../render_table.ts";
import { badJobLines } from "../bad_job_lines.ts";
import { describeEncoder } from "../daemon_lines.ts";
import { localTime, shortPath } from "../human_values.ts";

/** Options of `twitchtool encode-daemon status`. */
export interface EncodeDaemonStatusOptions {
  json?: boolean;
}

/** `encode-daemon status`: running or not, current job with progress, queue length. */
export async function encodeDaemonStatusCommand(
  options: EncodeDaemonStatusOptions,
  globals: GlobalOptions,
): Promise<number> {
  const config = await loadCommandConfig(globals);
  const daemon = await readDaemonState(config.paths.stateDir, "encoder");
  const queue = await queueView(config.paths.queueDir, daemon.running);
  if (options.json) {
    printLine(JSON.stringify(encoderStatusJson(daemon, queue)));
    return ExitCode.Ok;
  }
  const { recordDir, queueDir } = config.paths;
  const short = (path: string) => shortPath(path, recordDir, queueDir);
  for (const line of describeEncoder(encoderView(daemon), short)) printLine(line);
  for (const line of queueLines(queue, short)) printLine(line);
  return ExitCode.Ok;
}

/** The `--json` object (the status file's view only while the encoder runs). */
function encoderStatusJson(daemon: DaemonState<"encoder">, queue: QueueView) {
  const status = daemon.running ? daemon.status : null;
  return {
    running: daemon.running,
    pid: daemon.pid,
    state: status?.state ?? null,
    paused: status?.paused ?? false,
    started_at: status?.started_at ?? null,
    updated_at: status?.updated_at ?? null,
    current_job: status?.current_job ?? null,
    queue_length: queue.pending.length,
    failed: queue.failed.map((job) => ({ path: job.path, input: job.input, error: job.error })),
    invalid: queue.invalid,
    too_young: queue.too_young,
    status_unreadable: daemon.unreadable,
  };
}

/** The queue's counts, waiting jobs as a table, failed jobs and bad job files. */
function queueLines(queue: QueueView, short: (path: string) => string): string[] {
  const waiting = queue.pending;
  const counts = [`${waiting.length} waiting`, `${queue.failed.length} failed`];
  if (queue.invalid.length) counts.push(`${queue.invalid.length} invalid`);
  if (queue.too_young.length) counts.push(`${queue.too_young.length} too young to judge`);
  const lines = [`Queue: ${counts.join(", ")}`];
  if (waiting.length > 0) {
    lines.push(renderTable(
      ["#", "created", "input"],
      waiting.map((job, index) => [index + 1, localTime(job.created_at), short(job.input)]),
    ));
  }
  for (const job of queue.failed) {
    lines.push(
      `Failed: ${short(job.input)}: ${job.error ?? "unknown reason"} (${short(job.path)})`,
    );
  }
  return [...lines, ...badJobLines(queue, short)];
}
