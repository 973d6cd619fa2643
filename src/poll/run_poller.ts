/**
 * `poller run` wired to the real world: single-instance lock, live detection (Twitch's API or
 * streamlink probes), slot and channel locks, and the recordings: hosted in this process with
 * the default `download_cmd` (adopting those a previous poller left capturing), detached
 * recorder processes otherwise. The CLI only parses options and calls this.
 */
import { recorderLogPath } from "../state/recorder_log_path.ts";
import { retentionLoop } from "../retention/retention_loop.ts";
import { reportBroadcastMeta } from "../chat/broadcast_meta.ts";
import { getLogger } from "@logtape/logtape";
import type { Config } from "../config/config.ts";
import { redactArgs } from "../proc/streamlink_args.ts";
import { findExecutable, findLowPriorityTools, requireTools } from "../proc/which.ts";
import { acquireDaemon, type DaemonHandle } from "../state/daemon_state.ts";
import { ensurePrivateDirs } from "../state/private_dirs.ts";
import { logRotation } from "../state/log_rotation.ts";
import { SlotPool } from "../state/slot_pool.ts";
import { privateStreamlinkArgs, type StreamlinkExtraArgs } from "../state/streamlink_args_file.ts";
import { isUserLocked } from "../state/user_lock.ts";
import { systemClock } from "../util/clock.ts";
import { freeBytes } from "../util/disk_space.ts";
import { logRecoveryReports, recoverSessions } from "../record/recover.ts";
import { ConfigError } from "../errors.ts";
import { GqlApi } from "./detect_gql.ts";
import { HelixApi } from "./detect_helix.ts";
import {
  chooseDetector,
  type Detection,
  type DetectorName,
  FallbackDetector,
  pollInterval,
  type StreamsApi,
} from "./detect_live.ts";
import {
  currentSelf,
  isSelfRecord,
  type LaunchCommand,
  parseDownloadCmd,
  recorderArgs,
  recorderEnv,
  type RecorderOptions,
  resolveDownloadCmd,
} from "./download_cmd.ts";
import { launchDetached } from "./launch_detached.ts";
import { Poller, type PollerDeps, type PollerSettings } from "./poller.ts";
import { probeChannel, probeChannels } from "./probe_channels.ts";
import { SessionHost } from "./session_host.ts";
import { parseShard, usersOfShard } from "./shard.ts";
import { ConfigWatch } from "../config/config_watch.ts";
import {
  channelSettings,
  channelTableWarnings,
  hostedConfig,
  withChannelRenames,
} from "../config/channel_settings.ts";
import { installChannelEvents, notify, runNotificationDelivery } from "../notify/notify.ts";
import { editUsersFile, lineEntry, readUsersFile } from "./users_file.ts";
import { ChannelRenames } from "./channel_renames.ts";
import type { ChannelRename } from "../state/channel_ids.ts";
import { checkedListenAddress } from "../web/listen_address.ts";
import type { StatusWeb } from "../web/start_status_web.ts";
import { uploadLoop } from "../upload/run_uploads.ts";

const log = getLogger(["twitchtool", "poll"]);

/**
 * Free space a channel whose recording ended for lack of space waits for before it is recorded
 * again (or `disk_free_min` when larger): with `disk_free_min = 0` a full disk has 0 bytes free,
 * which is not room.
 */
const RESUME_FREE_BYTES = 64 * 1024 * 1024;

/** What the poller passes through to the recorders it launches. */
export interface PollerRunOptions {
  /** The poller's own `--config` (absolute), when one was given. */
  readonly configPath?: string | undefined;
  /** `--record-limit` given on the poller's command line. */
  readonly recordLimitOverride?: number | undefined;
  /**
   * Reads the config again as the poller's command did (same file, flags, environment), for a
   * reload when config.toml changes or on SIGHUP; absent: the config never changes.
   */
  readonly reload?: () => Promise<Config>;
  /** Hands over the function a SIGHUP should call (re-read the config now). */
  readonly onReloadRequest?: (reload: () => void) => void;
}

/**
 * What the poller cannot change while it runs: its folders and locks, the status page's
 * listener, the detector built at start, the recorder command and the notifier.
 */
export const POLLER_FIXED_KEYS = ["paths.", "web.", "twitch.", "poller.download_cmd", "notify."];

/**
 * Runs the poller until `signal` aborts. Fails before taking the lock on a bad download_cmd,
 * missing streamlink or unusable `[twitch]` settings (exit 2), and with exit 3 when another
 * poller runs.
 */
export async function runPollerDaemon(
  config: Config,
  options: PollerRunOptions,
  signal: AbortSignal,
): Promise<void> {
  const { inProcess, command } = await recorderCommand(config);
  const detectorName = chooseDetector(config);
  const api = streamsApi(config, detectorName);
  const interval = pollInterval(config, detectorName);
  const webAddress = config.web.listen === undefined
    ? undefined
    : checkedListenAddress(config.web.listen, config.web.token, `"web.listen"`);
  await ensurePrivateDirs(config.paths);
  const handle = await acquireDaemon(config.paths.stateDir, "poller");
  // The page has its own stop, so a failure before the loop's end still closes it.
  const webStop = new AbortController();
  signal.addEventListener("abort", () => webStop.abort(), { once: true });
  let web: StatusWeb | undefined;
  const host = inProcess
    ? new SessionHost({
      config,
      lowPriority: await findLowPriorityTools(),
    })
    : undefined;
  const adopted = (await host?.adoptLeft()) ?? [];
  if (adopted.length > 0) log.info("Adopted recordings: {users}", { users: adopted.join(", ") });
  // Finish recordings abandoned by dead recorders alongside polling; the journal in each
  // session manifest makes an interrupted recovery safe to repeat at the next start.
  recoverSessions(config)
    .then(logRecoveryReports)
    .catch((error) => log.error("Recovery failed: {error}", { error: (error as Error).message }));
  try {
    if (webAddress) {
      // Loaded only when asked for: a poller without `web.listen` never holds the page's code.
      const { startStatusWeb } = await import("../web/start_status_web.ts");
      web = startStatusWeb(config, webAddress, webStop.signal);
    }
    await using streamlinkExtra = await privateStreamlinkArgs(
      config.paths.runtimeDir,
      config.streamlink.extraArgs,
    );
    const recorder = {
      quality: config.poller.quality,
      configPath: options.configPath,
      recordLimit: options.recordLimitOverride,
    };
    const renames = api ? await ChannelRenames.load(config.paths.stateDir) : undefined;
    // The config in force, knowing every rename followed so far (tables follow their channel).
    const inForce = () =>
      renames ? withChannelRenames(watch.current, renames.renames) : watch.current;
    const watch = await watchConfig(config, options, inForce, (next) => {
      host?.update(inForce());
      poller.updateSettings(pollerSettings(next, pollInterval(next, detectorName)));
      warnChannelTables(inForce());
    });
    const wiring = { api, host, command, recorder, streamlinkExtra, handle, watch, renames };
    logPollerStart(config, wiring, interval, detectorName);
    warnChannelTables(inForce());
    const poller: Poller = new Poller(pollerSettings(config, interval), pollerDeps(wiring));
    // SIGHUP: read the file now, and show the outcome in the status without waiting a cycle.
    options.onReloadRequest?.(() => void watch.check(true).then(() => poller.refreshStatus()));
    const retention = retentionLoop(inForce, systemClock, signal);
    // The poller is the process with the network: it delivers what every process wrote to the
    // notification outbox (the encoder's unit has no network at all), and works the upload queue.
    const delivery = runNotificationDelivery(signal);
    const uploads = uploadLoop(config, signal);
    await poller.run(signal);
    await retention;
    await delivery;
    await uploads;
    log.info(
      host
        ? "Poller stopping; recordings keep capturing for the next poller to adopt"
        : "Poller stopped; recorders it launched keep running",
    );
  } finally {
    webStop.abort();
    await web?.stopped;
    await host?.leave();
    await handle.release();
  }
}

/**
 * The recorder `download_cmd` names, resolved before anything is locked: recordings run in
 * this process when it names twitchtool's own `record`, and the tools they need must exist.
 */
async function recorderCommand(
  config: Config,
): Promise<{ inProcess: boolean; command: LaunchCommand }> {
  const words = parseDownloadCmd(
    config.poller.downloadCmd,
    config.origins?.["poller.download_cmd"],
  );
  const inProcess = isSelfRecord(words);
  const command = await resolveDownloadCmd(words, (name) => findExecutable(name), currentSelf());
  await requireTools(inProcess ? ["streamlink", "ffmpeg", "ffprobe", "flock"] : ["streamlink"]);
  return { inProcess, command };
}

/** What the running poller is wired to, built once the daemon lock is held. */
interface PollerWiring {
  readonly api: StreamsApi | undefined;
  /** Hosts recordings in this process; absent when detached recorders are launched. */
  readonly host: SessionHost | undefined;
  readonly command: LaunchCommand;
  readonly recorder: RecorderOptions;
  readonly streamlinkExtra: StreamlinkExtraArgs;
  readonly handle: DaemonHandle<"poller">;
  /** The config in force (re-read when config.toml changes). */
  readonly watch: ConfigWatch;
  /** Channel IDs and renames followed (with an API detector only). */
  readonly renames: ChannelRenames | undefined;
}

/** The start-up lines: an API interval raised to its minimum, and how the poller runs. */
function logPollerStart(
  config: Config,
  wiring: PollerWiring,
  interval: number,
  detectorName: DetectorName,
): void {
  const settings = config.poller;
  const { command, recorder } = wiring;
  if (wiring.api && settings.intervalSet && interval !== settings.interval) {
    log.warn("Polling Twitch's API every {interval} s, not every {asked} s (its minimum)", {
      interval,
      asked: settings.interval,
    });
  }
  log.info(
    "Poller started: every {interval} s, detecting with {detector}, up to {limit} recordings, channels from {usersFile}, {command}",
    {
      interval,
      detector: detectorName,
      limit: config.limits.recordLimit,
      usersFile: settings.usersFile,
      command: wiring.host
        ? "recording in this process"
        : `launching ${
          redactArgs([command.program, ...recorderArgs(command, "<user>", recorder)]).join(" ")
        }`,
    },
  );
  if (settings.shard) {
    log.info("Shard {shard}: recording only the channels of the users file in this shard", {
      shard: settings.shard,
    });
  }
}

/** The poll loop's timing: the detector's interval, and the probes' as the fallback's. */
function pollerSettings(config: Config, interval: number): PollerSettings {
  return {
    usersFile: config.poller.usersFile,
    intervalMs: interval * 1000,
    fallbackIntervalMs: pollInterval(config, "streamlink") * 1000,
    recordLimit: config.limits.recordLimit,
  };
}

/** The poll loop's real collaborators: detection, locks, launching recordings, the status file. */
function pollerDeps(wiring: PollerWiring): PollerDeps {
  const { host, command, recorder, handle, watch } = wiring;
  // The folders never change while running; every other value is read from the config in force.
  const paths = watch.current.paths;
  const pool = new SlotPool(paths.runtimeDir, watch.current.limits.recordLimit);
  const renames = wiring.renames;
  const now = () => renames ? withChannelRenames(watch.current, renames.renames) : watch.current;
  const detector = new FallbackDetector(wiring.api, (users, probeSignal) =>
    probeChannels(
      users,
      now().poller.probeConcurrency,
      (user) =>
        probeChannel(user, {
          urlTemplate: now().streamlink.urlTemplate,
          // The global quality: a channel's own may name a rendition a probe must not need.
          quality: now().poller.quality,
          extraArgs: wiring.streamlinkExtra.args,
          timeoutMs: now().poller.timeout * 1000,
        }, probeSignal),
      probeSignal,
    ));
  return {
    clock: systemClock,
    beforeCycle: async () => void await watch.check(),
    configState: () => watch.state,
    // With `[poller] shard`, this host watches only its shard of the file (shard.ts).
    readUsers: async () => {
      const list = await readUsersFile(now().poller.usersFile);
      return list && usersOfShard(list, parseShard(now().poller.shard));
    },
    detector,
    ...(renames
      ? {
        currentLogins: (users: readonly string[]) => renames.current(users),
        followRenames: async (detection: Detection, signal: AbortSignal) => {
          const known = renames.renames.length;
          const followed = await followRenames(renames, detector, detection, now(), signal);
          // Sessions started from now on see the renamed channel's table under its new login.
          if (renames.renames.length !== known) host?.update(now());
          return followed;
        },
        renames: () => renames.renames,
      }
      : {}),
    slotHolders: async () => (await pool.list()).map((slot) => slot.username),
    isRecording: (user) => isUserLocked(paths.runtimeDir, user),
    launch: async (user, stream) => {
      if (host) return host.start(user, stream);
      const logPath = recorderLogPath(paths.logsDir, user);
      // The channel's own quality, computed here: the recorder gets it as its --quality flag.
      const quality = channelSettings(hostedConfig(now()), user).quality;
      const child = await launchDetached(
        command.program,
        recorderArgs(command, user, { ...recorder, quality }),
        logPath,
        recorderEnv(stream),
        logRotation(now().logging.maxLogMb),
      );
      return { ...child, log: logPath, hosted: false };
    },
    writeStatus: (status) => handle.writeStatus(status),
    diskHasRoom: async () =>
      await freeBytes(paths.recordDir) >=
        Math.max(now().storage.diskFreeMinBytes, RESUME_FREE_BYTES),
    observe: (user, stream) =>
      reportBroadcastMeta(user, {
        ...(stream.title !== undefined ? { title: stream.title } : {}),
        ...(stream.game !== undefined ? { game: stream.game } : {}),
      }),
  };
}

/**
 * The poller's config, re-read when the file changes (each cycle) and on SIGHUP: `applied`
 * hears each good one. Notifications about a channel follow its `[channel.<login>] notify` in
 * the config in force.
 */
async function watchConfig(
  config: Config,
  options: PollerRunOptions,
  inForce: () => Config,
  applied: (config: Config) => void,
): Promise<ConfigWatch> {
  const watch = await ConfigWatch.start(config, {
    load: options.reload ?? (() => Promise.resolve(config)),
    fixed: POLLER_FIXED_KEYS,
    clock: systemClock,
    applied,
    refused: (path, error) => notify({ event: "config_refused", path, error }),
  });
  installChannelEvents((channel) => channelSettings(inForce(), channel).notify);
  return watch;
}

/**
 * Learns the IDs a detection told and follows the channels it did not know to their new login
 * (notified, and written into the users file with `follow_renames = "rewrite"`); the renamed
 * channels are detected again under their new login in the same cycle, so a broadcast that
 * started with the rename is not missed.
 */
async function followRenames(
  renames: ChannelRenames,
  detector: FallbackDetector,
  detection: Detection,
  config: Config,
  signal: AbortSignal,
): Promise<Detection> {
  await renames.learn(detection.ids ?? new Map());
  let found: ChannelRename[];
  try {
    const loginsOf = (ids: readonly string[]) => detector.loginsOf(ids, signal);
    found = await renames.follow(detection.unknown, loginsOf, new Date());
  } catch (error) {
    log.debug("Cannot look renamed channels up: {error}", { error: (error as Error).message });
    return detection;
  }
  if (found.length === 0) return detection;
  for (const rename of found) {
    notify({
      event: "channel_renamed",
      channel: rename.to,
      previous: rename.from,
      user_id: rename.id,
    });
    if (config.poller.followRenames === "rewrite") {
      await editUsersFile(config.poller.usersFile, (text) => renameUser(text, rename))
        .catch((error) =>
          log.error("Cannot rewrite {path}: {error}", {
            path: config.poller.usersFile,
            error: (error as Error).message,
          })
        );
    }
  }
  const again = await detector.detect(found.map((rename) => rename.to), signal);
  const gone = new Set(found.map((rename) => rename.from));
  return {
    ...detection,
    results: new Map([...detection.results, ...again.results]),
    streams: new Map([...detection.streams, ...again.streams]),
    unknown: [...detection.unknown.filter((user) => !gone.has(user)), ...again.unknown],
    ids: new Map([...detection.ids ?? [], ...again.ids ?? []]),
  };
}

/** The users file with `rename.from`'s line replaced by `rename.to` (comments and order kept). */
function renameUser(text: string, rename: ChannelRename): { text: string } {
  const lines = text.split("\n").map((line) =>
    lineEntry(line).toLowerCase() === rename.from ? line.replace(/[A-Za-z0-9_]+/, rename.to) : line
  );
  return { text: lines.join("\n") };
}

/** One warning per `[channel.<login>]` table whose channel the users file does not list. */
function warnChannelTables(config: Config): void {
  readUsersFile(config.poller.usersFile).then((list) => {
    for (const warning of channelTableWarnings(config, list?.users ?? [])) log.warn(warning);
  }).catch(() => {});
}

/**
 * The API client for `detector` (none for streamlink probes). Requests share the probes'
 * concurrency and timeout settings; a bad URL fails at start-up with exit code 2.
 */
function streamsApi(config: Config, detector: DetectorName): StreamsApi | undefined {
  const { twitch, poller } = config;
  const checkUrl = (key: string, url: string) => {
    if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
      throw new ConfigError(
        `Cannot use "twitch.${key}" ${JSON.stringify(url)}: not an http(s) URL`,
      );
    }
    return url;
  };
  const common = { concurrency: poller.probeConcurrency, timeoutMs: poller.timeout * 1000 };
  switch (detector) {
    case "streamlink":
      return undefined;
    case "gql":
      return new GqlApi({
        ...common,
        url: checkUrl("gql_url", twitch.gqlUrl),
        clientId: twitch.clientId,
        batchSize: twitch.gqlBatch,
        archive: twitch.backfill,
      });
    case "helix":
      return new HelixApi({
        ...common,
        helixUrl: checkUrl("helix_url", twitch.helixUrl),
        oauthUrl: checkUrl("oauth_url", twitch.oauthUrl),
        clientId: twitch.clientId,
        clientSecret: twitch.clientSecret ?? "",
        archive: twitch.backfill,
      }, systemClock);
  }
}
