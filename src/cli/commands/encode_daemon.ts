import { serveEncoder } from "../../encode/serve_encoder.ts";
import { stopEncoder } from "../../encode/stop_encoder.ts";
import { ExitCode, TwitchtoolError } from "../../errors.ts";
import { onReloadSignal, withShutdownSignals } from "../../proc/signals.ts";
import { listQueue } from "../../state/job_queue.ts";
import { type GlobalOptions, loadCommandConfig, reloadCommandConfig } from "../context.ts";
import { printLine } from "../output.ts";
import { outlivedKillMessage } from "../daemon_lines.ts";
import { parseSeconds } from "../options.ts";

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
