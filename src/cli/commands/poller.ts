import { ExitCode, TwitchtoolError } from "../../errors.ts";
import { runPollerDaemon } from "../../poll/run_poller.ts";
import { onReloadSignal, withShutdownSignals } from "../../proc/signals.ts";
import { stopDaemon } from "../../proc/stop_daemon.ts";
import { readDaemonState } from "../../state/daemon_state.ts";
import { pollerView } from "../../state/status_snapshot.ts";
import { type GlobalOptions, loadCommandConfig, reloadCommandConfig } from "../context.ts";
import { printLine } from "../output.ts";
import { describePoller, outlivedKillMessage } from "../daemon_lines.ts";
import { parseSeconds } from "../options.ts";

/** `twitchtool poller run`: watch the users file and launch recorders until SIGINT/SIGTERM. */
export async function pollerRunCommand(globals: GlobalOptions): Promise<number> {
  const config = await loadCommandConfig(globals);
  let reloadNow = () => {};
  using _hup = onReloadSignal(() => reloadNow());
  return await withShutdownSignals(async (signal) => {
    await runPollerDaemon(config, {
      reload: () => reloadCommandConfig(globals),
      onReloadRequest: (reload) => reloadNow = reload,
      configPath: globals.config === undefined ? undefined : config.source.path,
      // Only a --record-limit flag is passed on to the recorders the poller launches.
      recordLimitOverride: globals.configOverrides?.["limits.record_limit"] === undefined
        ? undefined
        : config.limits.recordLimit,
    }, signal);
    return ExitCode.Ok;
  });
}

/** Options of `twitchtool poller stop`. */
export interface PollerStopOptions {
  timeout?: string;
  force?: boolean;
}

/** `twitchtool poller stop`: SIGTERM the poller, wait, SIGKILL with `--force`. */
export async function pollerStopCommand(
  options: PollerStopOptions,
  globals: GlobalOptions,
): Promise<number> {
  const config = await loadCommandConfig(globals);
  const timeout = parseSeconds(options.timeout, "--timeout", 10);
  const { pid } = await readDaemonState(config.paths.stateDir, "poller");
  const result = await stopDaemon(config.paths.stateDir, "poller", {
    timeoutMs: timeout * 1000,
    force: options.force ?? false,
  });
  switch (result) {
    case "not-running":
      printLine("The poller is not running");
      return ExitCode.Ok;
    case "stopped":
      printLine(`Stopped the poller (pid ${pid}); recorders it launched keep running`);
      return ExitCode.Ok;
    case "killed":
      printLine(`Killed the poller (pid ${pid}) after ${timeout} s`);
      return ExitCode.Ok;
    case "timeout":
      throw new TwitchtoolError(
        options.force
          ? outlivedKillMessage("poller", pid, timeout)
          : `The poller (pid ${pid}) did not stop within ${timeout} s: run "twitchtool poller stop --force" to kill it`,
        ExitCode.Failure,
      );
  }
}

/** Options of `twitchtool poller status`. */
export interface PollerStatusOptions {
  json?: boolean;
}

/** `twitchtool poller status`: running or not, last/next poll, last cycle's findings. */
export async function pollerStatusCommand(
  options: PollerStatusOptions,
  globals: GlobalOptions,
): Promise<number> {
  const config = await loadCommandConfig(globals);
  const state = await readDaemonState(config.paths.stateDir, "poller");
  const view = pollerView(state);
  if (options.json) {
    printLine(JSON.stringify(view));
    return ExitCode.Ok;
  }
  for (const line of describePoller(view)) printLine(line);
  return ExitCode.Ok;
}
