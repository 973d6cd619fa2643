import type { CurrentJobStatus } from "../../encode/encode_daemon.ts";
import { serveEncoder } from "../../encode/serve_encoder.ts";
import { stopEncoder } from "../../encode/stop_encoder.ts";
import { ExitCode, TwitchtoolError, UsageError } from "../../errors.ts";
import { withShutdownSignals } from "../../proc/signals.ts";
import { readDaemonState } from "../../state/daemon_state.ts";
import { listQueue } from "../../state/job_queue.ts";
import {
  type GlobalOptions,
  loadCommandConfig,
  newTable,
  override,
  printLine,
} from "../context.ts";

/** Options of `twitchtool encode-daemon run`. */
export interface EncodeDaemonRunOptions {
  queueDir?: string;
  preset?: string;
  crf?: string;
  threads?: string;
  height?: string;
  fps?: string;
  videoCodec?: string;
  audioBitrate?: string;
  loglevel?: string;
  recordLimit?: string;
  exitWhenEmpty?: boolean;
}

/** `encode-daemon run`: encodes queued jobs until stopped (or until the queue is empty). */
export async function encodeDaemonRunCommand(
  options: EncodeDaemonRunOptions,
  globals: GlobalOptions,
): Promise<number> {
  const config = await loadCommandConfig(globals, {
    "paths.queue_dir": override(options.queueDir, "--queue-dir"),
    "encode_daemon.preset": override(options.preset, "--preset"),
    "encode_daemon.crf": override(options.crf, "--crf"),
    "encode_daemon.threads": override(options.threads, "--threads"),
    "encode_daemon.height": override(options.height, "--height"),
    "encode_daemon.fps": override(options.fps, "--fps"),
    "encode_daemon.video_codec": override(options.videoCodec, "--video-codec"),
    "encode_daemon.audio_bitrate": override(options.audioBitrate, "--audio-bitrate"),
    "encode_daemon.loglevel": override(options.loglevel, "--loglevel"),
    "limits.record_limit": override(options.recordLimit, "--record-limit"),
  });
  return await withShutdownSignals(async (signal) => {
    const exitWhenEmpty = options.exitWhenEmpty ?? false;
    const summary = await serveEncoder(config, { exitWhenEmpty }, signal);
    if (!exitWhenEmpty) return ExitCode.Ok;
    printLine(`Queue empty: ${summary.done} encoded, ${summary.failed} failed`);
    return summary.failed > 0 ? ExitCode.Failure : ExitCode.Ok;
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
  const seconds = Number(options.timeout ?? "10");
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new UsageError(
      `Invalid value ${JSON.stringify(options.timeout)} for --timeout: expected seconds >= 0`,
    );
  }
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
        `The encoder (pid ${pid}) did not stop within ${seconds} s: run again with --force to kill it`,
        ExitCode.Failure,
      );
  }
}

/** Options of `twitchtool encode-daemon status`. */
export interface EncodeDaemonStatusOptions {
  json?: boolean;
  queueDir?: string;
}

/** `encode-daemon status`: running or not, current job with progress, queue length. */
export async function encodeDaemonStatusCommand(
  options: EncodeDaemonStatusOptions,
  globals: GlobalOptions,
): Promise<number> {
  const config = await loadCommandConfig(globals, {
    "paths.queue_dir": override(options.queueDir, "--queue-dir"),
  });
  const daemon = await readDaemonState(config.paths.stateDir, "encoder");
  const queue = await listQueue(config.paths.queueDir);
  const status = daemon.running ? daemon.status : null;
  const current = (status?.current_job ?? null) as CurrentJobStatus | null;
  const waiting = queue.pending.filter((job) => !(daemon.running && job.running));
  if (options.json) {
    printLine(JSON.stringify({
      running: daemon.running,
      pid: daemon.pid,
      state: status?.state ?? null,
      paused: status?.paused ?? false,
      started_at: status?.started_at ?? null,
      updated_at: status?.updated_at ?? null,
      current_job: current,
      queue_length: waiting.length,
      failed: queue.failed.map((job) => ({ path: job.path, input: job.input, error: job.error })),
    }));
    return ExitCode.Ok;
  }
  if (!daemon.running) {
    printLine("Encoder: not running");
  } else {
    printLine(`Encoder: running (pid ${daemon.pid}), ${status?.state ?? "starting"}`);
  }
  if (current) {
    const percent = current.percent === null ? "?" : `${current.percent.toFixed(1)}%`;
    const speed = current.speed === null ? "" : ` at ${current.speed}x`;
    const eta = current.eta_seconds === null ? "" : `, ETA ${formatSeconds(current.eta_seconds)}`;
    const paused = status?.paused ? " (paused while a recording captures)" : "";
    printLine(`Current job: ${current.input} -> ${current.output}`);
    printLine(`  ${percent}${speed}${eta}${paused}`);
  }
  printLine(`Queue: ${waiting.length} waiting, ${queue.failed.length} failed`);
  if (waiting.length > 0) {
    const table = newTable(["#", "created", "input"]);
    waiting.forEach((job, index) => table.push([index + 1, job.created_at, job.input]));
    printLine(table.toString());
  }
  for (const job of queue.failed) {
    printLine(`Failed: ${job.input}: ${job.error ?? "unknown reason"} (${job.path})`);
  }
  return ExitCode.Ok;
}

function formatSeconds(total: number): string {
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = Math.floor(total % 60);
  const pad = (value: number) => String(value).padStart(2, "0");
  return `${hours}:${pad(minutes)}:${pad(seconds)}`;
}
