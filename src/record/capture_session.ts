/**
 * One recording of one channel, wherever it runs: the `record` command and the poller (which
 * hosts several at once in its own process) both run exactly this class. Its whole life reads
 * top to bottom in {@link CaptureSession.run}: channel lock → slot → journal → capture loop →
 * end → finish. Its state is one private record with an explicit {@link SessionPhase}, changed
 * only by `#set()`.
 *
 * A session hosted by the poller runs its streamlink detached (own session, output to
 * `<logs_dir>/<user>.log`) and journals it in the manifest, so the poller can go away (restart,
 * upgrade, kill -9) while the part keeps being written; the next poller adopts the session
 * (`adopt`): same base, same manifest, it watches the running part until that streamlink ends,
 * then goes on with the next part index and finalizes at the end.
 *
 * Beside it: `_streamlink_start.ts` starts each part's streamlink through a narrow view of the
 * session, `capture_loop.ts` is the pure retry loop, `finish_session.ts` the journaled finalize
 * that `recover` shares. Notifications observe the outcome (`notify/session_events.ts`).
 */
import { dirname } from "node:path";
import { getLogger } from "@logtape/logtape";
import { ChatRecorder } from "../chat/chat_recorder.ts";
import type { Config } from "../config/config.ts";
import { channelConfig, channelSettings } from "../config/channel_settings.ts";
import { installChannelEvents } from "../notify/notify.ts";
import { LowDiskError, NothingCapturedError } from "../errors.ts";
import { sessionNotifications, type SessionObserver } from "../notify/session_events.ts";
import type { LowPriorityTools } from "../proc/ffmpeg_args.ts";
import { stopChild } from "../proc/spawn.ts";
import { streamUrl } from "../proc/streamlink_args.ts";
import { findLowPriorityTools, requireTools } from "../proc/which.ts";
import { freeBytesMakingRoom } from "../retention/room_for_capture.ts";
import { ensurePrivateDir, removeIfExists, sizeOrZero } from "../state/atomic_write.ts";
import { prepareCaptureLock, removeCaptureLock } from "../state/capture_lock.ts";
import { ensurePrivateDirs } from "../state/private_dirs.ts";
import { partIndexOf, partPath, sessionBase } from "../state/session_folder.ts";
import {
  type CaptureProcess,
  type LiveRemuxJournal,
  removeManifest,
  type SessionManifest,
  writeManifest,
} from "../state/session_manifest.ts";
import { type SlotHandle, SlotPool } from "../state/slot_pool.ts";
import { clearStopRequest, isStopRequested } from "../state/stop_request.ts";
import { acquireUserLock } from "../state/user_lock.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { formatBytes, freeBytes, freeSpaceShortfall, isNoSpaceError } from "../util/disk_space.ts";
import { formatDuration } from "../util/format_duration.ts";
import {
  type CaptureDeps,
  type CaptureEndReason,
  captureLoop,
  type CaptureReport,
  type CaptureResult,
  type CaptureSettings,
  DEFAULT_CAPTURE_TIMING,
} from "./capture_loop.ts";
import {
  backfillSettings,
  type FinishedSession,
  finishSession,
  sessionUploadSettings,
} from "./finish_session.ts";
import { KEEP_SECONDS, LiveRemux, type LiveResume } from "./live_remux.ts";
import { isTailOfPart } from "./part_tail.ts";
import { logRecoveryReports, recoverSessions } from "./recover.ts";
import { normalizeUsername } from "./username.ts";
import { StreamlinkStarter, WATCH_MS } from "./_streamlink_start.ts";

const log = getLogger(["twitchtool", "record"]);

/** What a session needs to know. */
export interface SessionRequest {
  /** Normalized channel name. */
  readonly user: string;
  /**
   * The global config: the session lays the channel's `[channel.<login>]` table over it
   * (`channelConfig()`), where a `record --quality` flag still wins.
   */
  readonly config: Config;
  /**
   * The config in force now, when it may be reloaded while the session runs (the poller's): each
   * new streamlink part takes its quality and log level from it, so a capture's next reconnect
   * follows an edit while the running streamlink is never touched. Absent: `config`.
   */
  readonly current?: () => Config;
  readonly failFast: boolean;
  /**
   * Hosted by the poller: streamlink runs detached with its output appended to this file and
   * the session is marked `host: "poller"` (manifest, slot owner). Absent for `record`, whose
   * streamlink is a child whose output goes to this process's log.
   */
  readonly detachedLog?: string;
  /** A session left capturing by a previous poller, carried on from its running part. */
  readonly adopt?: AdoptedSession;
  /** ffmpeg of the finalize step runs under these (nice/ionice) when present. */
  readonly lowPriority?: LowPriorityTools;
  /** The broadcast the poller saw live (from Twitch's API), kept in the manifest for `status`. */
  readonly stream?: BroadcastInfo;
}

/** A broadcast as Twitch's API reported it: its id and when it went live (ISO 8601). */
export interface BroadcastInfo {
  readonly id: string;
  readonly liveSince: string;
  /** The title the API gave at detection, for the "recording started" notification. */
  readonly title?: string;
  /** The broadcast's in-progress archive video, when the API reported one (for back-fill). */
  readonly vodId?: string;
}

/**
 * A hosted session whose poller went away: its streamlink outlived it (`capture`), or it was
 * between two parts (no `capture`; the next part goes on in the same session, so a restart at
 * a part boundary never splits a recording).
 */
export interface AdoptedSession {
  readonly manifest: SessionManifest;
  readonly capture?: CaptureProcess;
}

/** How a session ended. */
export interface SessionOutcome {
  readonly reason: CaptureEndReason;
  /** Absent when `left`: the session waits, capturing, for the next poller. */
  readonly finished?: FinishedSession;
}

/** Signals that end a session. */
export interface SessionSignals {
  /** Stop capturing and finalize (SIGINT to `record`, end of the poller's hosting on request). */
  readonly stop: AbortSignal;
  /** Return at once, leaving a running streamlink to write on for the next poller. */
  readonly leave?: AbortSignal;
}

/** Collaborators, real by default. */
export interface SessionDeps {
  readonly clock?: Clock;
  /** Free bytes on the recordings filesystem. */
  readonly freeBytes?: (path: string) => Promise<number>;
  /** Hears the session start and end; notifications by default. */
  readonly observer?: SessionObserver;
}

/** Where a session is in its life. Only `CaptureSession.#set()` moves it. */
export enum SessionPhase {
  /** Checking free space, taking the channel lock. */
  Starting = "starting",
  /** Holding the channel lock, waiting for one of `record_limit` slots. */
  WaitingForSlot = "waiting-for-slot",
  /** In a slot: streamlink part after part, and the waits between them. */
  Capturing = "capturing",
  /** Finalizing the kept parts into the recordings folder. */
  Finalizing = "finalizing",
  /** Returned with its streamlink still writing, for the next poller to adopt. */
  Left = "left",
  Finished = "finished",
  Failed = "failed",
}

/** Everything about a session that changes while it runs. */
interface SessionState {
  readonly phase: SessionPhase;
  /** When the recording began: once the channel lock is held (an adopted one keeps its own). */
  readonly startedAt: Date;
  /** Set when the session enters its slot (an adopted session keeps its own). */
  readonly base: string;
  readonly slot: SlotHandle | undefined;
  /** The slot was freed, or only let go of when the capture was left running. */
  readonly slotReleased: boolean;
  /** Kept parts, in order: an adopted session's earlier ones first. */
  readonly parts: readonly string[];
  /** The running streamlink as journaled; absent between parts. */
  readonly capture: CaptureProcess | undefined;
  readonly firstDataAt: string | undefined;
  /** Set once capturing has ended for good: the session is then only finalized, never adopted. */
  readonly captureEndedAt: string | undefined;
  /** What kept the last attempt from the stream when it was the network, not the channel. */
  readonly networkTrouble: string | undefined;
  /** Set when streamlink reports ENOSPC: the disk is full whatever disk_free_min says. */
  readonly diskFull: string | undefined;
  /** The live file once its remuxer ended (or an adopted session's, which cannot go on). */
  readonly live: LiveRemuxJournal | undefined;
}

/**
 * Runs one recording to its end. Throws `AlreadyRunningError` when the channel is being
 * recorded, `LowDiskError` below `disk_free_min`, `NothingCapturedError` when nothing came.
 */
export function runCaptureSession(
  request: SessionRequest,
  signals: SessionSignals,
  deps: SessionDeps = {},
): Promise<SessionOutcome> {
  return new CaptureSession(request, signals, deps).run();
}

/** One `record` run. */
export interface RecordRequest {
  readonly username: string;
  readonly config: Config;
  readonly failFast: boolean;
  /** The broadcast the poller saw live (from the API), recorded in the session manifest. */
  readonly stream?: BroadcastInfo | undefined;
}

/**
 * `twitchtool record`: validate, then run one capture session in this process (the same
 * session the poller hosts) until the stream is gone for `retry_window`. Stops capturing (and
 * still finalizes) when `signal` aborts or `stop <slot>` asks.
 */
export async function runRecorder(
  request: RecordRequest,
  signal: AbortSignal,
): Promise<{ reason: CaptureEndReason; finished: FinishedSession }> {
  const user = normalizeUsername(request.username);
  await requireTools(["streamlink", "ffmpeg", "ffprobe", "flock"]);
  // The channel's `[channel.<login>] notify` narrows what is notified about it.
  installChannelEvents((channel) => channelSettings(request.config, channel).notify);
  const outcome = await runCaptureSession(
    {
      user,
      config: request.config,
      failFast: request.failFast,
      ...(request.stream ? { stream: request.stream } : {}),
      lowPriority: await findLowPriorityTools(),
    },
    { stop: signal },
  );
  // Only a hosted session can be left; `record` has no leave signal.
  if (!outcome.finished) throw new Error(`Recording of "${user}" was left unfinished`);
  return { reason: outcome.reason, finished: outcome.finished };
}

/** One recording: see the module doc. */
export class CaptureSession {
  readonly #request: SessionRequest;
  readonly #clock: Clock;
  readonly #freeBytes: (path: string) => Promise<number>;
  readonly #observer: SessionObserver;
  readonly #url: string;
  /** The broadcast, from the request or from the adopted manifest. */
  readonly #stream: BroadcastInfo | undefined;
  /** Aborts on `signals.stop` or a stop request (`twitchtool stop`). */
  readonly #stopWatch = new AbortController();
  readonly #stop: AbortSignal;
  readonly #leave: AbortSignal | undefined;
  /** Ends the waits that must also end when the session is left. */
  readonly #waitSignal: AbortSignal;
  #state: SessionState;
  /** The deliverable growing while capturing (`[record] live_remux`), see `live_remux.ts`. */
  #live: LiveRemux | undefined;
  /** The last manifest write, which the next one waits for. */
  #journaled: Promise<void> = Promise.resolve();

  constructor(request: SessionRequest, signals: SessionSignals, deps: SessionDeps = {}) {
    const { adopt, user } = request;
    // The channel's table over the global keys; a flag given to `record` itself still wins.
    const flagWins = request.detachedLog === undefined;
    const config = channelConfig(request.config, user, { flagWins });
    this.#request = { ...request, config };
    this.#clock = deps.clock ?? systemClock;
    this.#freeBytes = freeBytesMakingRoom(config, user, deps.freeBytes ?? freeBytes);
    this.#observer = deps.observer ?? sessionNotifications;
    this.#url = streamUrl(config.streamlink.urlTemplate, user);
    this.#stream = request.stream ?? adoptedStream(adopt?.manifest);
    this.#stop = AbortSignal.any([signals.stop, this.#stopWatch.signal]);
    this.#leave = signals.leave;
    this.#waitSignal = this.#leave ? AbortSignal.any([this.#stop, this.#leave]) : this.#stop;
    this.#state = {
      phase: SessionPhase.Starting,
      startedAt: adopt ? new Date(adopt.manifest.started_at) : new Date(0),
      base: adopt?.manifest.base ?? "",
      slot: undefined,
      slotReleased: false,
      parts: [...(adopt?.manifest.parts ?? [])],
      capture: adopt?.capture,
      firstDataAt: adopt?.manifest.first_data_at,
      captureEndedAt: undefined,
      networkTrouble: undefined,
      diskFull: undefined,
      live: adoptedLive(adopt?.manifest, config),
    };
  }

  /** Where the session is now. */
  get phase(): SessionPhase {
    return this.#state.phase;
  }

  /** Lock → slot → journal → capture loop → end → finish. */
  async run(): Promise<SessionOutcome> {
    const { user, adopt, config } = this.#request;
    const runtimeDir = config.paths.runtimeDir;
    if (!adopt) await this.#refuseLowDisk();
    await prepareFolders(config);
    // An adopted streamlink holds the channel's capture lock itself: that is expected here.
    using _userLock = await acquireUserLock(runtimeDir, user, { adopting: !!adopt?.capture });
    // A request made while the session had no host (or was changing hosts) still applies.
    if (!adopt) await clearStopRequest(runtimeDir, user);
    if (!adopt) this.#set({ startedAt: new Date(this.#clock.now()) });
    const watching = this.#watchStopRequest();
    try {
      await this.#takeSlot();
      return await this.#observed(() => this.#captureInSlot());
    } catch (error) {
      this.#set({ phase: SessionPhase.Failed });
      throw error;
    } finally {
      this.#stopWatch.abort();
      await watching;
      await this.#releaseSlot(this.#state.phase === SessionPhase.Left);
      if (this.#state.phase !== SessionPhase.Left) await clearStopRequest(runtimeDir, user);
    }
  }

  /** The one place the session's state changes. */
  #set(change: Partial<SessionState>): void {
    this.#state = { ...this.#state, ...change };
  }

  /** Tells the observer how the capture in the slot ended; the outcome or error passes through. */
  async #observed(capture: () => Promise<SessionOutcome>): Promise<SessionOutcome> {
    const { user } = this.#request;
    let outcome: SessionOutcome;
    try {
      outcome = await capture();
    } catch (error) {
      this.#observer.failed(user, error as Error);
      throw error;
    }
    if (outcome.finished) await this.#observer.finished(user, outcome.finished);
    return outcome;
  }

  /**
   * The capture proper, holding the channel lock and a slot: journal the session, prepare the
   * locks streamlink holds, run the capture loop, then finalize (or leave it to the next poller).
   */
  async #captureInSlot(): Promise<SessionOutcome> {
    const { config, user, adopt } = this.#request;
    const base = adopt?.manifest.base ?? sessionBase(user, new Date(this.#clock.now()));
    this.#set({ phase: SessionPhase.Capturing, base });
    this.#logStart();
    await this.#journal();
    // Each streamlink holds this lock for its whole life, so `recover` and the next poller know a
    // part is still being written even after this process is killed with -9.
    const captureLock = await prepareCaptureLock(config.paths.runtimeDir, base);
    // Sessions abandoned by dead recorders are finished alongside, never delaying the capture.
    const recovery = recoverSessions(config, { ownUser: user, excludeBase: base })
      .then(logRecoveryReports)
      .catch((error) => log.error("Recovery failed: {error}", { error: (error as Error).message }));
    // It holds the private file of the secret streamlink options until the capture ends.
    await using streamlink = await StreamlinkStarter.prepare(this.#streamlinkView(), captureLock);
    const result = await this.#captureParts(streamlink);
    return await this.#endCapture(result, recovery);
  }

  /** The capture loop with the session's chat journal beside it; frees the slot at the end. */
  async #captureParts(streamlink: StreamlinkStarter): Promise<CaptureResult> {
    const { config, user, adopt } = this.#request;
    const chat = await ChatRecorder.start({
      chat: config.chat.enabled,
      url: config.chat.url,
      channel: user,
      tempDir: config.paths.tempDir,
      base: this.#state.base,
      clock: this.#clock,
    });
    let result: CaptureResult | undefined;
    this.#live = this.#startLiveRemux();
    try {
      result = await captureLoop(
        captureSettings(config),
        this.#captureDeps(async (output) => {
          chat?.partStarted(output, this.#clock.now());
          this.#live?.partStarted(output);
          return await streamlink.start(output);
        }),
        this.#stop,
        {
          firstPartIndex: firstPartIndex(adopt, this.#state.base),
          adopted: !!adopt?.capture,
          ...(this.#leave ? { leave: this.#leave } : {}),
        },
      );
      return result;
    } finally {
      await chat?.stop();
      await this.#releaseSlot(result?.reason === "left");
      await this.#endLiveRemux(result?.reason === "left");
    }
  }

  /** A live remuxer when `[record] live_remux` asks for one and the session can have one. */
  #startLiveRemux(): LiveRemux | undefined {
    const { config, adopt } = this.#request;
    const { liveRemux, enableRemux, deleteTsAfterRemux } = config.record;
    if (!liveRemux || !enableRemux || !deleteTsAfterRemux) return undefined;
    const resume = adopt && resumableLive(adopt.manifest, config);
    if (adopt && !resume) return undefined;
    // Back-fill reads the parts whole (it looks for their edges in the VOD): nothing is freed.
    const free = config.twitch.backfill
      ? {}
      : { free: { keepSeconds: liveKeepSeconds(), journal: () => this.#journal() } };
    // From here the remuxer's journal is the session's (it carries the adopted checkpoint on).
    if (resume) this.#set({ live: undefined });
    return new LiveRemux(this.#tempDir, this.#state.base, {
      clock: this.#clock,
      ...free,
      ...(resume ? { resume } : {}),
    });
  }

  /** Closes the live file once capturing ended (or gives it up when the capture is left). */
  async #endLiveRemux(leaving: boolean): Promise<void> {
    const live = this.#live;
    if (!live) return;
    this.#set({ live: await (leaving ? live.leave() : live.finish()) });
    this.#live = undefined;
  }

  /**
   * Ends the session after its capture loop: `left` returns at once; otherwise the end is
   * journaled and the parts finalized, "nothing captured" and "no space" turned into their typed
   * errors. `recovery` (the sweep started alongside) is awaited before returning or throwing.
   */
  async #endCapture(result: CaptureResult, recovery: Promise<void>): Promise<SessionOutcome> {
    const { user } = this.#request;
    const { base } = this.#state;
    if (result.reason === "left") {
      this.#set({ phase: SessionPhase.Left });
      log.info("Left {user} ({base}) capturing for the next poller", { user, base });
      return { reason: "left" };
    }
    await this.#journalCaptureEnd(result.reason);
    if (this.#state.parts.length === 0) {
      await removeManifest(this.#tempDir, base);
      await recovery;
      throw this.#nothingCaptured(result);
    }
    this.#set({ phase: SessionPhase.Finalizing });
    const finished = await this.#finalize(result, recovery);
    this.#set({ phase: SessionPhase.Finished });
    if (result.reason === "low-disk") {
      throw new LowDiskError(
        `Stopped recording "${user}" early: ${result.detail}; kept ${finished.delivered[0]}`,
      );
    }
    return { reason: result.reason, finished };
  }

  /** No streamlink runs any more: the capture lock goes, the manifest says capturing ended. */
  async #journalCaptureEnd(reason: Exclude<CaptureEndReason, "left">): Promise<void> {
    const { config } = this.#request;
    const { base, parts } = this.#state;
    await removeCaptureLock(config.paths.runtimeDir, base);
    this.#set({ capture: undefined, captureEndedAt: new Date(this.#clock.now()).toISOString() });
    // On a full disk this note may not fit: the manifest then keeps its last state (the session
    // is finalized here anyway), and finalize reports the lack of space as documented.
    if (parts.length > 0) {
      await this.#journal().catch((error) => {
        if (!isNoSpaceError(error)) throw error;
        log.warn("No room to note the end of capture in the manifest of {base}", { base });
      });
    }
    log.info(
      `Capture ended: ${
        describeEnd(reason, config.record.retryWindow, this.#state.networkTrouble)
      }; ${parts.length} part(s), slot released`,
      { reason, count: parts.length },
    );
  }

  /** The error of a session that kept no part: out of space, or no stream (network or channel). */
  #nothingCaptured(result: CaptureResult): Error {
    const { user } = this.#request;
    const { networkTrouble } = this.#state;
    if (result.reason === "low-disk") {
      return new LowDiskError(`Stopped recording "${user}": ${result.detail}`);
    }
    return new NothingCapturedError(
      networkTrouble
        ? `Nothing captured for "${user}": the stream could not be reached (${networkTrouble}), a network problem`
        : `Nothing captured for "${user}": the stream was not available`,
    );
  }

  /**
   * Finalizes the kept parts. Out of space, nothing is lost: the parts and the manifest stay for
   * `recover` once there is room, and a `LowDiskError` says so.
   */
  async #finalize(result: CaptureResult, recovery: Promise<void>): Promise<FinishedSession> {
    const { config, lowPriority, user } = this.#request;
    const tempDir = this.#tempDir;
    try {
      return await finishSession(this.#manifest(), {
        tempDir,
        recordDir: config.paths.recordDir,
        queueDir: config.paths.queueDir,
        stateDir: config.paths.stateDir,
        ...(lowPriority ? { lowPriority } : {}),
        ...backfillSettings(config),
        ...sessionUploadSettings(config),
      });
    } catch (error) {
      const outOfSpace = isNoSpaceError(error) ||
        (result.reason === "low-disk" && (await this.#lowDiskReason()) !== undefined);
      if (!outOfSpace) throw error;
      log.warn("Cannot finalize {base}: {error}", {
        base: this.#state.base,
        error: (error as Error).message,
      });
      const why = result.detail ?? (error as Error).message;
      throw new LowDiskError(
        `Stopped recording "${user}": ${why}; not finalized for lack of space: ${this.#state.parts.length} part(s) kept in "${tempDir}", free some space and run "twitchtool recover"`,
      );
    } finally {
      await recovery;
    }
  }

  /** This channel's settings in force now (a reloaded config's, or the session's own). */
  #current(): Config {
    const { current, user, config } = this.#request;
    return current
      ? channelConfig(current(), user, { flagWins: !this.#request.detachedLog })
      : config;
  }

  get #tempDir(): string {
    return this.#request.config.paths.tempDir;
  }

  /** Below `disk_free_min` before anything starts: a `LowDiskError`. */
  async #refuseLowDisk(): Promise<void> {
    const reason = await this.#lowDiskReason();
    if (reason) throw new LowDiskError(`Not recording "${this.#request.user}": ${reason}`);
  }

  /** Why there is not room enough to record, or undefined. */
  #lowDiskReason = async (): Promise<string | undefined> => {
    if (this.#state.diskFull) return this.#state.diskFull;
    const { recordDir } = this.#request.config.paths;
    const minFree = this.#request.config.storage.diskFreeMinBytes;
    const available = await this.#freeBytes(recordDir);
    return available < minFree
      ? `only ${freeSpaceShortfall(available, minFree, `on "${recordDir}"`)}`
      : undefined;
  };

  /**
   * Takes a slot, waiting for one unless the capture is adopted. Throws `NothingCapturedError`
   * when stopped while waiting.
   */
  async #takeSlot(): Promise<void> {
    const { user, adopt, config } = this.#request;
    this.#set({ phase: SessionPhase.WaitingForSlot });
    const pool = new SlotPool(config.paths.runtimeDir, config.limits.recordLimit, this.#clock);
    const owner = {
      pid: Deno.pid,
      username: user,
      started_at: this.#state.startedAt.toISOString(),
      ...(this.#request.detachedLog !== undefined ? { host: "poller" as const } : {}),
    };
    // An adopted capture is running already: never make it wait (a lowered record_limit); it
    // holds its slot's capture lock, so exactly that slot is taken over.
    const slot = adopt?.capture
      ? await pool.tryAcquire(owner, adopt.capture.slot)
      : await pool.acquire(owner, { failFast: this.#request.failFast, signal: this.#waitSignal });
    this.#set({ slot });
    if (!slot && !adopt?.capture) {
      throw new NothingCapturedError(
        `Stopped while waiting for a slot: nothing recorded for "${user}"`,
      );
    }
    if (!slot) log.warn("No free slot for adopted {user}: recording without one", { user });
  }

  /**
   * Frees the slot once capture ends (finalizing needs none), or only lets go of it when
   * `leaving` a capture running: it keeps the slot through its capture lock, and the owner file
   * stays for `status` and the next poller. Safe to call twice.
   */
  async #releaseSlot(leaving: boolean): Promise<void> {
    if (this.#state.slotReleased) return;
    this.#set({ slotReleased: true });
    if (leaving) this.#state.slot?.leave();
    else await this.#state.slot?.release();
  }

  /** Aborts the session's stop once a stop request for its channel appears. */
  async #watchStopRequest(): Promise<void> {
    const { user, config } = this.#request;
    const controller = this.#stopWatch;
    const done = this.#waitSignal;
    while (!controller.signal.aborted && !done.aborted) {
      if (await isStopRequested(config.paths.runtimeDir, user).catch(() => false)) {
        log.info("Stop requested for {user}: finalizing", { user });
        controller.abort();
        return;
      }
      await this.#clock.sleep(WATCH_MS, AbortSignal.any([controller.signal, done]));
    }
  }

  /** The capture loop's collaborators: real files, streamlink, the session's hooks. */
  #captureDeps(startCapture: CaptureDeps["startCapture"]): CaptureDeps {
    const clock = this.#clock;
    const { user, config } = this.#request;
    return {
      clock,
      partPath: (index) => partPath(this.#tempDir, this.#state.base, index),
      startCapture,
      stopCapture: (child) => stopChild(child, { first: "SIGINT", graceMs: 5000, clock }),
      fileSize: sizeOrZero,
      discardPart: async (path) => {
        this.#live?.partEnded(path, "discarded");
        await removeIfExists(path);
      },
      repeatsPart: isTailOfPart,
      onState: (state) => this.#onState(state),
      onPart: (path) => this.#onPart(path),
      checkDisk: this.#lowDiskReason,
      onReport: (report) =>
        logReport(user, report, config.record.retryWindow, this.#state.networkTrouble),
    };
  }

  /** What `_streamlink_start.ts` may see of the session and tell it. */
  #streamlinkView() {
    const { config, user, detachedLog, adopt } = this.#request;
    return {
      user,
      base: this.#state.base,
      url: this.#url,
      config,
      current: () => this.#current(),
      detachedLog,
      slot: this.#state.slot,
      clock: this.#clock,
      adopted: adopt?.capture,
      apiLiveNoData: () => this.#stream !== undefined && this.#state.firstDataAt === undefined,
      setNetworkTrouble: (problem: string | undefined) => this.#set({ networkTrouble: problem }),
      diskFull: (detail: string) => this.#set({ diskFull: detail }),
      journalCapture: async (capture: CaptureProcess) => {
        this.#set({ capture });
        await this.#journal();
      },
    };
  }

  /** The capture loop's state change: slot state, the first data's journal entry, a log line. */
  async #onState(state: "capturing" | "waiting"): Promise<void> {
    const { user } = this.#request;
    await this.#state.slot?.setState(state);
    if (state === "capturing" && !this.#state.firstDataAt) await this.#firstData();
    if (state === "waiting" && this.#state.networkTrouble) {
      logNetworkTrouble(user, this.#state.networkTrouble);
    } else {
      log.info(
        state === "capturing" ? "Stream data flowing" : "Stream not available; waiting",
        { user, state },
      );
    }
  }

  /** A part is complete and kept: journal it (no streamlink runs until the next part). */
  async #onPart(path: string): Promise<void> {
    this.#live?.partEnded(path, "kept");
    this.#set({ parts: [...this.#state.parts, path], capture: undefined });
    await this.#journal();
  }

  /** Data came for the first time: journaled for `status`, announced, its lateness logged. */
  async #firstData(): Promise<void> {
    const stream = this.#stream;
    this.#set({ firstDataAt: new Date(this.#clock.now()).toISOString() });
    await this.#journal();
    this.#observer.started(this.#request.user, this.#state.base, stream);
    if (stream) {
      log.info("First data {late} s after the broadcast {id} went live at {since}", {
        late: Math.round((this.#clock.now() - Date.parse(stream.liveSince)) / 100) / 10,
        id: stream.id,
        since: stream.liveSince,
      });
    }
  }

  /** The first log line of a session: where it records from, or which session it took over. */
  #logStart(): void {
    const { user, adopt } = this.#request;
    log.info(
      adopt
        ? "Adopted {user} in slot {slot}: {base}"
        : "Recording {user} in slot {slot} from {url}",
      { user, slot: this.#state.slot?.index ?? "none", url: this.#url, base: this.#state.base },
    );
  }

  /**
   * Writes the manifest as of now. Writes run one at a time, each taking the state when it
   * starts: a slower earlier write never lands over a later one (the live remuxer frees parts
   * only once its checkpoint is in the manifest).
   */
  #journal(): Promise<void> {
    const write = this.#journaled.catch(() => {}).then(() =>
      writeManifest(this.#tempDir, this.#manifest())
    );
    this.#journaled = write;
    return write;
  }

  /** The session's manifest as of now (settings of an adopted session win over the config). */
  #manifest(): SessionManifest {
    const { config, adopt, user, detachedLog } = this.#request;
    const adopted = adopt?.manifest;
    const stream = this.#stream;
    const state = this.#state;
    const live = state.live ?? this.#live?.journal;
    return {
      user,
      base: state.base,
      pid: Deno.pid,
      started_at: this.#state.startedAt.toISOString(),
      phase: "capturing",
      parts: [...state.parts],
      enable_remux: adopted?.enable_remux ?? config.record.enableRemux,
      delete_ts_after_remux: adopted?.delete_ts_after_remux ?? config.record.deleteTsAfterRemux,
      delete_input_on_success: adopted?.delete_input_on_success ??
        config.record.deleteInputOnSuccess,
      ...(stream ? { stream_id: stream.id, live_since: stream.liveSince } : {}),
      ...(stream?.vodId ? { vod_id: stream.vodId } : {}),
      ...(state.firstDataAt ? { first_data_at: state.firstDataAt } : {}),
      ...(detachedLog !== undefined ? { host: "poller" as const } : {}),
      ...(state.capture ? { capture: state.capture } : {}),
      ...(state.captureEndedAt ? { capture_ended_at: state.captureEndedAt } : {}),
      ...(live ? { live } : {}),
    };
  }
}

/**
 * The live file of an adopted session: kept as journaled until its remuxer goes on with it
 * ({@link resumableLive}); otherwise its remuxer stopped with the previous host and a new one
 * cannot append to it, so the parts are finalized (the file is removed then).
 */
function adoptedLive(
  manifest: SessionManifest | undefined,
  config: Config,
): LiveRemuxJournal | undefined {
  if (!manifest?.live) return undefined;
  if (resumableLive(manifest, config)) return manifest.live;
  return {
    ...manifest.live,
    state: "failed",
    reason: manifest.live.reason ?? "the session changed hosts mid-recording",
  };
}

/**
 * Where an adopted session's live file can go on: a running live file with a journaled
 * checkpoint, freed as before (no back-fill). fMP4 parts are appended again from the checkpoint
 * (`Fmp4LiveFile.resume`), MPEG-TS parts fed to a new ffmpeg from the checkpoint's keyframe
 * (`Fmp4LiveFile.continue`). Without a checkpoint, or when the live file cannot be continued,
 * the session is finalized from its parts (from the checkpoint on) as before.
 */
function resumableLive(manifest: SessionManifest, config: Config): LiveResume | undefined {
  const { live } = manifest;
  const checkpoint = live?.checkpoint;
  if (live?.state !== "running" || !checkpoint) return undefined;
  const { liveRemux, enableRemux, deleteTsAfterRemux } = config.record;
  if (config.twitch.backfill || !liveRemux || !enableRemux || !deleteTsAfterRemux) return undefined;
  return { checkpoint, parts: manifest.parts, freedBytes: live.freed_bytes ?? 0 };
}

/**
 * Seconds of each part's tail the live remuxer keeps for the repeat check: {@link KEEP_SECONDS},
 * or `TWITCHTOOL_LIVE_KEEP_SECONDS` (a test hook: short test broadcasts have short windows).
 */
function liveKeepSeconds(): number {
  let hook: string | undefined;
  try {
    hook = Deno.env.get("TWITCHTOOL_LIVE_KEEP_SECONDS");
  } catch {
    // No permission for it: the default.
  }
  const seconds = Number(hook);
  return hook && Number.isFinite(seconds) && seconds >= 0 ? seconds : KEEP_SECONDS;
}

/** The broadcast an adopted manifest journaled, when it names one. */
function adoptedStream(manifest: SessionManifest | undefined): BroadcastInfo | undefined {
  if (!manifest?.stream_id || !manifest.live_since) return undefined;
  return {
    id: manifest.stream_id,
    liveSince: manifest.live_since,
    ...(manifest.vod_id ? { vodId: manifest.vod_id } : {}),
  };
}

/**
 * The recordings folder keeps the umask's mode (others may be meant to read it), the temp
 * folder inside is private.
 */
async function prepareFolders(config: Config): Promise<void> {
  const tempDir = config.paths.tempDir;
  await Deno.mkdir(dirname(tempDir), { recursive: true });
  await ensurePrivateDir(tempDir);
  await ensurePrivateDirs(config.paths);
}

/** Retry timing from the config, the rest at its defaults. */
function captureSettings(config: Config): CaptureSettings {
  return {
    retryDelayMs: config.record.retryDelay * 1000,
    retryWindowMs: config.record.retryWindow * 1000,
    ...DEFAULT_CAPTURE_TIMING,
  };
}

/**
 * The capture loop's periodic report as a log line. Figures are written into the message
 * (not quoted like values) and kept as properties for JSON logs.
 */
function logReport(
  user: string,
  report: CaptureReport,
  retryWindow: number,
  networkTrouble?: string,
): void {
  if (report.kind === "capturing") {
    const size = formatBytes(report.bytes);
    const duration = formatDuration(report.ms / 1000);
    log.info(`Capturing {user}: ${size} in ${report.parts} part(s), ${duration} so far`, {
      user,
      bytes: report.bytes,
      parts: report.parts,
      seconds: Math.round(report.ms / 1000),
    });
  } else if (networkTrouble) {
    logNetworkTrouble(user, networkTrouble, report.giveUpInMs);
  } else {
    const left = formatDuration(report.giveUpInMs / 1000);
    log.info(
      `Waiting for {user} to come back; giving up in ${left} (retry_window ${
        formatDuration(retryWindow)
      })`,
      { user, give_up_in_seconds: Math.round(report.giveUpInMs / 1000) },
    );
  }
}

/**
 * The one line that says the stream is out of reach for a network problem: when waiting starts,
 * and in each report while it lasts (then with the time left before giving up).
 */
function logNetworkTrouble(user: string, problem: string, giveUpInMs?: number): void {
  const retrying = giveUpInMs === undefined
    ? ""
    : `; retrying, giving up in ${formatDuration(giveUpInMs / 1000)}`;
  log.warn(
    `Cannot reach the stream of {user}: {problem}; a network problem, not the channel going offline${retrying}`,
    {
      user,
      problem,
      ...(giveUpInMs === undefined ? {} : { give_up_in_seconds: Math.round(giveUpInMs / 1000) }),
    },
  );
}

/**
 * Where an adopted session goes on: the running part, or after the newest part it already
 * holds; 1 for a new session.
 */
function firstPartIndex(adopt: AdoptedSession | undefined, base: string): number {
  if (!adopt) return 1;
  if (adopt.capture) {
    return partIndexOf(adopt.capture.part, base) ?? adopt.manifest.parts.length + 1;
  }
  const indexes = adopt.manifest.parts.map((part) => partIndexOf(part, base) ?? 0);
  return Math.max(0, ...indexes) + 1;
}

/** Why capturing ended, in the user's words (the internal reason stays a log property). */
function describeEnd(
  reason: Exclude<CaptureEndReason, "left">,
  retryWindow: number,
  networkTrouble?: string,
): string {
  switch (reason) {
    case "window-expired":
      return networkTrouble
        ? `the stream could not be reached for retry_window (${
          formatDuration(retryWindow)
        }): ${networkTrouble}`
        : `the stream stayed offline for retry_window (${formatDuration(retryWindow)})`;
    case "interrupted":
      return "stopped on request";
    case "low-disk":
      return "free space fell below disk_free_min";
  }
}
