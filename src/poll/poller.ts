/**
 * The poll loop: every `interval` seconds read the users file, detect who is live, and launch a
 * recorder for each live channel that is not already being recorded, up to `record_limit`.
 * Everything it touches is injected, so unit tests drive whole cycles with a fake clock.
 */
import { getLogger } from "@logtape/logtape";
import type {
  LaunchRecord,
  PollerCycleFields,
  PollerStatus,
  SkipRecord,
} from "../state/daemon_status.ts";
import { ExitCode } from "../errors.ts";
import type { Clock } from "../util/clock.ts";
import type { ConfigFileState } from "../config/config_watch.ts";
import type { ChannelRename } from "../state/channel_ids.ts";
import type { Detection, DetectorName, LiveDetector, StreamInfo } from "./detect_live.ts";
import type { DetachedChild } from "./launch_detached.ts";
import type { ProbeResult } from "./probe_channels.ts";
import { type InvalidEntry, UsersFileError, type UsersList } from "./users_file.ts";

const log = getLogger(["twitchtool", "poll"]);

/** Timing and limits of the loop. */
export interface PollerSettings {
  readonly usersFile: string;
  readonly intervalMs: number;
  /**
   * Interval after a cycle whose API request failed and fell back to streamlink probes (the
   * probes' cadence: a cycle of probes costs ~0.6 CPU-s per channel). Defaults to `intervalMs`.
   */
  readonly fallbackIntervalMs?: number;
  readonly recordLimit: number;
  /**
   * How long a launched recorder counts against the limit before it holds its channel lock
   * (start-up takes a moment; without this the next cycle would launch a duplicate).
   */
  readonly launchGraceMs?: number;
}

/** The outside world of the loop. */
export interface PollerDeps {
  readonly clock: Clock;
  /** The users file, or `undefined` when it does not exist. */
  readUsers(): Promise<UsersList | undefined>;
  /** Says who is live (Twitch's API, or streamlink probes). */
  readonly detector: LiveDetector;
  /** Channels holding a recording slot now, whoever started them. */
  slotHolders(): Promise<string[]>;
  /** Whether a recorder holds the channel's lock (recording, or waiting for a slot). */
  isRecording(user: string): Promise<boolean>;
  /** Starts recording `user` (told the API's stream details when known). */
  launch(user: string, stream?: StreamInfo): Promise<LaunchedRecorder>;
  writeStatus(status: PollerStatus): Promise<void>;
  /**
   * Whether the record disk has room again for a channel whose recording ended for lack of
   * space (exit code 7). Without it such a channel is retried every cycle.
   */
  diskHasRoom?(): Promise<boolean>;
  /** Hears each live channel's stream details every cycle (title/game for chapters). */
  observe?(user: string, stream: StreamInfo): void;
  /**
   * Runs before each cycle: re-reads config.toml when it changed (`config/config_watch.ts`),
   * applying a good one through {@link Poller.updateSettings} and the deps' own reads.
   */
  beforeCycle?(): Promise<void>;
  /** The config file's state for the status file (whether the file on disk is in force). */
  configState?(): ConfigFileState;
  /** The logins to watch for the users file's names: renamed channels under their new login. */
  currentLogins?(users: readonly string[]): string[];
  /**
   * Follows channels the API no longer knows by login to their new login (by user ID) and
   * returns the detection with the renamed channels detected under their new login.
   */
  followRenames?(detection: Detection, signal: AbortSignal): Promise<Detection>;
  /** The renames followed so far, for the status file. */
  renames?(): readonly ChannelRename[];
}

/** A recording the loop started: a detached recorder process, or a session in this process. */
export interface LaunchedRecorder extends DetachedChild {
  /** Where its (streamlink) output goes. */
  readonly log: string;
  /** Recording inside the poller: `pid` is the poller's own. */
  readonly hosted: boolean;
}

/** What one cycle saw and did; becomes part of `poller.status.json`. */
export interface CycleReport extends PollerCycleFields {
  readonly detector: DetectorName;
  readonly invalid: InvalidEntry[];
}

interface PendingLaunch {
  readonly pid: number;
  readonly since: number;
  exited: boolean;
}

const DEFAULT_LAUNCH_GRACE_MS = 60_000;

/** One poller; keeps the launches that have not taken their channel lock yet. */
export class Poller {
  readonly #pending = new Map<string, PendingLaunch>();
  #lastInvalid = "";
  #lastHeldBack = "";
  #usersFileMissing = false;
  #usersFileError: string | undefined;
  #detectorError: { at: string; message: string } | undefined;
  #fellBack = false;
  /** Channels whose last recording ended for lack of space: not relaunched until room returns. */
  readonly #outOfSpace = new Set<string>();
  #waitingForSpace = "";
  #startedAt = "";
  /** The status last written while running (undefined once stopped). */
  #last: PollerStatus | undefined;

  constructor(private settings: PollerSettings, private readonly deps: PollerDeps) {}

  /** Takes a reloaded config's timing and limits; the next cycle runs with them. */
  updateSettings(settings: PollerSettings): void {
    this.settings = settings;
  }

  /** Runs cycles until `signal` aborts; a failing cycle is logged and the loop goes on. */
  async run(signal: AbortSignal): Promise<void> {
    const { clock } = this.deps;
    const iso = (ms: number) => new Date(ms).toISOString();
    this.#startedAt = iso(clock.now());
    const base = () => this.#base();
    let last: PollerStatus = { ...base(), state: "starting", last_poll: null, next_poll: null };
    this.#last = last;
    await this.#write(last);
    let cycles = 0;
    while (!signal.aborted) {
      const cycleStart = clock.now();
      let report: CycleReport | undefined;
      let lastError: string | undefined;
      try {
        await this.deps.beforeCycle?.();
        report = await this.pollOnce(signal);
      } catch (error) {
        lastError = error instanceof Error ? error.message : String(error);
        log.error("Poll cycle failed: {error}", { error: lastError });
      }
      if (signal.aborted) break;
      lastError ??= this.#usersFileError;
      const nextPoll = cycleStart +
        (this.#fellBack
          ? this.settings.fallbackIntervalMs ?? this.settings.intervalMs
          : this.settings.intervalMs);
      cycles++;
      last = {
        ...base(),
        ...report,
        state: "running",
        last_poll: iso(cycleStart),
        next_poll: iso(nextPoll),
        cycles,
        cycle_seconds: (clock.now() - cycleStart) / 1000,
        ...(lastError ? { last_error: lastError } : {}),
        ...(this.#detectorError ? { detector_error: this.#detectorError } : {}),
      };
      this.#last = last;
      await this.#write(last);
      await clock.sleep(nextPoll - clock.now(), signal);
    }
    this.#last = undefined;
    await this.#write({ ...last, ...base(), state: "stopped", next_poll: null });
  }

  /**
   * Writes the status again at once with the settings and config state now in force: a reload
   * asked by SIGHUP shows in `status` without waiting for the next cycle.
   */
  async refreshStatus(): Promise<void> {
    if (this.#last) await this.#write({ ...this.#last, ...this.#base() });
  }

  /** The status fields that do not come from a cycle. */
  #base() {
    return {
      started_at: this.#startedAt,
      interval_seconds: this.settings.intervalMs / 1000,
      record_limit: this.settings.recordLimit,
      users_file: this.settings.usersFile,
      ...(this.deps.configState ? { config: this.deps.configState() } : {}),
      ...(this.deps.renames?.().length
        ? { renamed: this.deps.renames().map(({ from, to, at }) => ({ from, to, at })) }
        : {}),
    };
  }

  /** One cycle: read users, detect, launch what is live and free, within the limit. */
  async pollOnce(signal: AbortSignal): Promise<CycleReport> {
    const list = await this.#readUsers();
    let users = this.deps.currentLogins?.(list.users) ?? list.users;
    let detection = await this.deps.detector.detect(users, signal);
    if (this.deps.followRenames) {
      detection = await this.deps.followRenames(detection, signal);
      users = this.deps.currentLogins?.(list.users) ?? users;
    }
    this.#noteDetection(detection);
    const results = detection.results;
    const pick = (wanted: ProbeResult) => users.filter((user) => results.get(user) === wanted);
    const live = pick("live");

    const busy = await this.#busyChannels(users);

    const launched: LaunchRecord[] = [];
    const skipped: SkipRecord[] = [];
    let free = this.settings.recordLimit - busy.size;
    const noSpace = await this.#waitForSpace(live.filter((user) => !busy.has(user)));
    for (const user of live) {
      if (signal.aborted) break;
      if (busy.has(user)) {
        skipped.push({ user, reason: "already recording" });
        continue;
      }
      if (noSpace.has(user)) {
        skipped.push({ user, reason: "waiting for disk space" });
        continue;
      }
      if (free <= 0) {
        skipped.push({ user, reason: `record limit ${this.settings.recordLimit} reached` });
        continue;
      }
      try {
        launched.push(await this.#launch(user, detection.streams.get(user)));
        busy.add(user);
        free--;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        skipped.push({ user, reason: `launch failed: ${message}` });
        log.error("Cannot launch recorder for {user}: {error}", { user, error: message });
      }
    }
    this.#logHeldBack(skipped);
    const report: CycleReport = {
      detector: detection.detector,
      users: users.length,
      invalid: list.invalid,
      live,
      offline: pick("offline"),
      timed_out: pick("timeout"),
      probe_errors: pick("error"),
      unknown: [...detection.unknown],
      launched,
      skipped,
      active: busy.size,
    };
    log.debug("Poll cycle ({detector}): {live} live of {users}, {launched} launched", {
      detector: detection.detector,
      live: live.length,
      users: users.length,
      launched: launched.length,
    });
    return report;
  }

  /** Whether the API failed (polling falls back to probes' interval), and the streams' metadata. */
  #noteDetection(detection: Detection): void {
    this.#fellBack = detection.apiError !== undefined;
    if (detection.apiError !== undefined) {
      this.#detectorError = {
        at: new Date(this.deps.clock.now()).toISOString(),
        message: detection.apiError,
      };
    }
    for (const [user, stream] of detection.streams) this.deps.observe?.(user, stream);
  }

  /** Channels taken: slot holders, channels locked by a recording, launches not yet seen. */
  async #busyChannels(users: readonly string[]): Promise<Set<string>> {
    const busy = new Set((await this.deps.slotHolders()).map((user) => user.toLowerCase()));
    for (const user of users) {
      if (await this.deps.isRecording(user)) busy.add(user);
    }
    this.#prunePending(busy);
    for (const user of this.#pending.keys()) busy.add(user);
    return busy;
  }

  /**
   * Launches `user`'s recording and remembers it as pending until a slot or lock shows it; an
   * exit for lack of space holds the channel back until room returns.
   */
  async #launch(user: string, stream: StreamInfo | undefined): Promise<LaunchRecord> {
    const child = await this.deps.launch(user, stream);
    const pending: PendingLaunch = {
      pid: child.pid,
      since: this.deps.clock.now(),
      exited: false,
    };
    child.exited.then((code) => {
      pending.exited = true;
      if (code === ExitCode.LowDisk) this.#outOfSpace.add(user);
      log.info("Recorder for {user} (pid {pid}) exited with code {code}", {
        user,
        pid: child.pid,
        code,
      });
    });
    this.#pending.set(user, pending);
    if (child.hosted) {
      log.info("Recording {user} in this process, output in {log}", { user, log: child.log });
    } else {
      log.info("Launched recorder for {user} (pid {pid}), output in {log}", {
        user,
        pid: child.pid,
        log: child.log,
      });
    }
    return { user, pid: child.pid, log: child.log };
  }

  /**
   * The users file, with its problems said once per change rather than every cycle: a file
   * that cannot be read (too large, a FIFO) watches no channels until it is fixed, and the
   * invalid lines of a file are summed up in one warning with a count and the first few.
   */
  async #readUsers(): Promise<UsersList> {
    let list: UsersList | undefined;
    try {
      list = await this.deps.readUsers();
    } catch (error) {
      if (!(error instanceof UsersFileError)) throw error;
      const message = error.message;
      if (message !== this.#usersFileError) {
        log.error("{error}: watching no channels until it is fixed", { error: message });
      }
      this.#usersFileError = message;
      return { users: [], invalid: [] };
    }
    this.#usersFileError = undefined;
    if (!list) {
      if (!this.#usersFileMissing) {
        log.warn("Users file {path} does not exist: watching no channels", {
          path: this.settings.usersFile,
        });
      }
      this.#usersFileMissing = true;
      return { users: [], invalid: [] };
    }
    this.#usersFileMissing = false;
    const invalidKey = JSON.stringify(list.invalid);
    if (invalidKey !== this.#lastInvalid) {
      this.#lastInvalid = invalidKey;
      if (list.invalid.length > 0) logInvalid(list.invalid, this.settings.usersFile);
    }
    return list;
  }

  /**
   * The live channels among `candidates` held back because their last recording ended for
   * lack of space and the disk still has no room; says so once, and once when room returns.
   */
  async #waitForSpace(candidates: readonly string[]): Promise<Set<string>> {
    const waiting = candidates.filter((user) => this.#outOfSpace.has(user));
    if (waiting.length === 0) return new Set();
    const room = await (this.deps.diskHasRoom?.() ?? Promise.resolve(true)).catch(() => true);
    if (room) {
      for (const user of waiting) this.#outOfSpace.delete(user);
      this.#waitingForSpace = "";
      log.info("The record disk has room again: recording {users} again", {
        users: waiting.join(", "),
      });
      return new Set();
    }
    const key = waiting.join(",");
    if (key !== this.#waitingForSpace) {
      log.warn(
        "Not recording {users} again until the record disk has room: the last recording ended for lack of space",
        { users: key.replaceAll(",", ", ") },
      );
      this.#waitingForSpace = key;
    }
    return new Set(waiting);
  }

  /** Says once (not every cycle) which live channels wait for a free recording slot. */
  #logHeldBack(skipped: readonly SkipRecord[]): void {
    const held = skipped.filter((s) => s.reason.startsWith("record limit")).map((s) => s.user);
    const key = held.join(",");
    if (key === this.#lastHeldBack) return;
    this.#lastHeldBack = key;
    if (held.length === 0) return;
    log.info("Live but not launched, all {limit} recording slots are busy: {users}", {
      limit: this.settings.recordLimit,
      users: held.join(", "),
    });
  }

  /** Drops launches that took their lock (now counted as recording), exited, or hung. */
  #prunePending(recording: ReadonlySet<string>): void {
    const grace = this.settings.launchGraceMs ?? DEFAULT_LAUNCH_GRACE_MS;
    const now = this.deps.clock.now();
    for (const [user, pending] of this.#pending) {
      if (pending.exited || recording.has(user) || now - pending.since > grace) {
        this.#pending.delete(user);
      }
    }
  }

  async #write(status: PollerStatus): Promise<void> {
    try {
      await this.deps.writeStatus(status);
    } catch (error) {
      log.error("Cannot write poller status: {error}", { error: String(error) });
    }
  }
}

/** How many invalid lines one warning quotes; the rest are counted. */
const INVALID_SHOWN = 5;

/** One warning for all the invalid lines of a users file. */
function logInvalid(invalid: readonly InvalidEntry[], path: string): void {
  const shown = invalid.slice(0, INVALID_SHOWN)
    .map((entry) => `${JSON.stringify(entry.text.slice(0, 40))} (line ${entry.line})`)
    .join(", ");
  const more = invalid.length > INVALID_SHOWN ? ` and ${invalid.length - INVALID_SHOWN} more` : "";
  log.warn(`Skipping {count} invalid channel name(s) in {path}: ${shown}${more}`, {
    count: invalid.length,
    path,
  });
}
