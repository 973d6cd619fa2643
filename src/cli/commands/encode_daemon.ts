import { serveEncoder } from "../../encode/serve_encoder.ts";
import { stopEncoder } from "../../encode/stop_encoder.ts";
import { ExitCode, TwitchtoolError } from "../../errors.ts";
import { onReloadSignal, withShutdownSignals } from "../../proc/signals.ts";
import { type DaemonState, readDaemonState } from "../../state/daemon_state.ts";
import { listQueue } from "../../state/job_queue.ts";
import { encoderView, type QueueView, queueView } from "../../state/status_snapshot.ts";
import { type GlobalOptions, loadCommandConfig, reloadCommandConfig } from "../context.ts";
import { printLine } from "../output.ts";
import { renderTable } from "../render_table.ts";
import { badJobLines, describeEncoder, outlivedKillMessage } from "../daemon_lines.ts";
import { parseSeconds } from "../options.ts";
import { localTime, shortPath } from "../human_values.ts";

/** Options of `twitchtool encode-daemon run`. */
export interface EncodeDaemonRunOptions {
  exitWhenEmpty?: boolean;
}

/** `encode-daemon run`: encodes queued jobs until stopped (or until the queue is empty). */
export async function encodeDaemonRunCommand(
  options: EncodeDaemonRunOptions,
  globals: GlobalOptions,
): Promise<number> {
  const config = await loadCommandConfig(globals);
  let reloadNow = () => {};
  using _hup = onReloadSignal(() => reloadNow());
  return await withShutdownSignals(async (signal) => {
    const exitWhenEmpty = options.exitWhenEmpty ?? false;
    const summary = await serveEncoder(config, {
      exitWhenEmpty,
      reload: () => reloadCommandConfig(globals),
      onReloadRequest: (reload) => reloadNow = reload,
    }, signal);
    if (!exitWhenEmpty) return ExitCode.Ok;
    const left = await listQueue(config.paths.queueDir);
    const parts = [`${summary.done} encoded`, `${summary.failed} failed`];
    parts.push(`${summary.invalid} invalid (moved aside)`);
    if (left.too_young.length) parts.push(`${left.too_young.length} too young to judge (left)`);
    printLine(`Queue empty: ${parts.join(", ")}`);
    return summary.failed + summary.invalid > 0 ? ExitCode.Failure : ExitCode.Ok;
  });
}

/** Options of `twitchtool encode-daemon stop`. */
export interface EncodeDaemonStopOptions {
  timeout?: string;
  force?: boolean;
}

/** `encode-daemon stop`: SIGTERM, wait, optionally SIGKILL. */
export async function encodeDaemonStopCommand(
  options: EncodeDaemonStopOptions,
  globals: GlobalOptions,
): Promise<number> {
  const config = await loadCommandConfig(globals);
  const seconds = parseSeconds(options.timeout, "--timeout", 10);
  const { result, pid } = await stopEncoder(config.paths.stateDir, {
    timeoutMs: seconds * 1000,
    force: options.force ?? false,
  });
  switch (result) {
    case "not-running":
      printLine("The encoder is not running");
      return ExitCode.Ok;
    case "stopped":
      printLine(`Stopped the encoder (pid ${pid})`);
      return ExitCode.Ok;
    case "killed":
      printLine(`Killed the encoder (pid ${pid}): it did not stop within ${seconds} s`);
      return ExitCode.Ok;
    case "timeout":
      throw new TwitchtoolError(
        options.force
          ? outlivedKillMessage("encoder", pid, seconds)
          : `The encoder (pid ${pid}) did not stop within ${seconds} s: run again with --force to kill it`,
        ExitCode.Failure,
      );
  }
}

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
