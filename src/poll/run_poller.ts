/**
 * `poller run` wired to the real world: single-instance lock, streamlink probes, slot and
 * channel locks, detached recorders. The CLI only parses options and calls this.
 */
import { join } from "node:path";
import { getLogger } from "@logtape/logtape";
import type { Config } from "../config/config.ts";
import { redactArgs } from "../proc/streamlink_args.ts";
import { findExecutable, requireTools } from "../proc/which.ts";
import { acquireDaemon } from "../state/daemon_state.ts";
import { SlotPool } from "../state/slot_pool.ts";
import { privateStreamlinkArgs } from "../state/streamlink_args_file.ts";
import { isUserLocked } from "../state/user_lock.ts";
import { systemClock } from "../util/clock.ts";
import { logRecoveryReports, recoverSessions } from "../record/recover.ts";
import { currentSelf, parseDownloadCmd, recorderArgs, resolveDownloadCmd } from "./download_cmd.ts";
import { launchDetached } from "./launch_detached.ts";
import { Poller } from "./poller.ts";
import { probeChannel } from "./probe_channels.ts";
import { readUsersFile } from "./users_file.ts";

const log = getLogger(["twitchtool", "poll"]);

/** What the poller passes through to the recorders it launches. */
export interface PollerRunOptions {
  /** The poller's own `--config` (absolute), when one was given. */
  readonly configPath?: string | undefined;
  /** `--record-limit` given on the poller's command line. */
  readonly recordLimitOverride?: number | undefined;
  /** HOME, where the temp dir of abandoned recordings is derived from. */
  readonly home: string;
}

/**
 * Runs the poller until `signal` aborts. Fails before taking the lock on a bad download_cmd
 * or missing streamlink (exit 2), and with exit 3 when another poller runs.
 */
export async function runPollerDaemon(
  config: Config,
  options: PollerRunOptions,
  signal: AbortSignal,
): Promise<void> {
  const command = await resolveDownloadCmd(
    parseDownloadCmd(config.poller.downloadCmd),
    (name) => findExecutable(name),
    currentSelf(),
  );
  await requireTools(["streamlink"]);
  const handle = await acquireDaemon(config.paths.stateDir, "poller");
  // Finish recordings abandoned by dead recorders alongside polling; the journal in each
  // session manifest makes an interrupted recovery safe to repeat at the next start.
  recoverSessions(config, options.home)
    .then(logRecoveryReports)
    .catch((error) => log.error("Recovery failed: {error}", { error: (error as Error).message }));
  try {
    const { poller: settings, paths } = config;
    await using streamlinkExtra = await privateStreamlinkArgs(
      paths.runtimeDir,
      config.streamlink.extraArgs,
    );
    const pool = new SlotPool(paths.runtimeDir, config.limits.recordLimit);
    const recorder = {
      quality: settings.quality,
      configPath: options.configPath,
      recordLimit: options.recordLimitOverride,
    };
    log.info(
      "Poller started: every {interval} s, up to {limit} recordings, channels from {usersFile}, launching {command}",
      {
        interval: settings.interval,
        limit: config.limits.recordLimit,
        usersFile: settings.usersFile,
        command: redactArgs([command.program, ...recorderArgs(command, "<user>", recorder)]).join(
          " ",
        ),
      },
    );
    const poller = new Poller(
      {
        usersFile: settings.usersFile,
        intervalMs: settings.interval * 1000,
        recordLimit: config.limits.recordLimit,
        probeConcurrency: settings.probeConcurrency,
      },
      {
        clock: systemClock,
        readUsers: () => readUsersFile(settings.usersFile),
        probe: (user, probeSignal) =>
          probeChannel(user, {
            urlTemplate: config.streamlink.urlTemplate,
            quality: settings.quality,
            extraArgs: streamlinkExtra.args,
            timeoutMs: settings.timeout * 1000,
          }, probeSignal),
        slotHolders: async () => (await pool.list()).map((slot) => slot.username),
        isRecording: (user) => isUserLocked(paths.runtimeDir, user),
        launch: async (user) => {
          const logPath = join(paths.logsDir, `${user}.log`);
          const child = await launchDetached(
            command.program,
            recorderArgs(command, user, recorder),
            logPath,
          );
          return { ...child, log: logPath };
        },
        writeStatus: (status) => handle.writeStatus({ ...status }),
      },
    );
    await poller.run(signal);
    log.info("Poller stopped; recorders it launched keep running");
  } finally {
    await handle.release();
  }
}
