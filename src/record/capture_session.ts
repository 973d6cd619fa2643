/**
 * One recording of one channel, wherever it runs: the `record` command and the poller (which
 * hosts several at once in its own process) both run exactly this. Take the channel lock and a
 * slot, capture parts until the stream is gone for `retry_window`, release the slot, finalize
 * at low priority, enqueue the encode job.
 *
 * A session hosted by the poller runs its streamlink detached (own session, output to
 * `<logs_dir>/<user>.log`) and journals it in the manifest, so the poller can go away (restart,
 * upgrade, kill -9) while the part keeps being written; the next poller adopts the session
 * (`adopt`): same base, same manifest, it watches the running part until that streamlink ends,
 * then goes on with the next part index and finalizes at the end.
 *
 * The steps of a capture live beside this file: `_slot_session.ts` (the session's state and
 * manifest), `_streamlink_start.ts` (adopted, detached or piped streamlink) and
 * `_capture_end.ts` (the bookkeeping and finalize once capturing ends).
 */
import { ensurePrivateDirs } from "../state/private_dirs.ts";
import { dirname } from "node:path";
import { getLogger } from "@logtape/logtape";
import type { Config } from "../config/config.ts";
import { LowDiskError, NothingCapturedError } from "../errors.ts";
import type { LowPriorityTools } from "../proc/ffmpeg_args.ts";
import { type Child, stopChild } from "../proc/spawn.ts";
import { ensurePrivateDir, removeIfExists, sizeOrZero } from "../state/atomic_write.ts";
import { prepareCaptureLock } from "../state/capture_lock.ts";
import type { CaptureProcess, SessionManifest } from "../state/session_manifest.ts";
import { type SlotHandle, SlotPool } from "../state/slot_pool.ts";
import { clearStopRequest, isStopRequested } from "../state/stop_request.ts";
import { privateStreamlinkArgs } from "../state/streamlink_args_file.ts";
import { acquireUserLock } from "../state/user_lock.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { formatBytes, freeBytes, freeSpaceShortfall } from "../util/disk_space.ts";
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
import type { FinishedSession } from "./finish_session.ts";
import { isTailOfPart } from "./part_tail.ts";
import { logRecoveryReports, recoverSessions } from "./recover.ts";
import { partIndexOf, partPath } from "../state/session_folder.ts";
import { reportSession } from "../notify/session_events.ts";
import { freeBytesMakingRoom } from "../retention/room_for_capture.ts";
import { startSessionChat } from "../chat/session_chat.ts";
import { type SlotContext, SlotSession, WATCH_MS } from "./_slot_session.ts";
import { StreamlinkStarter } from "./_streamlink_start.ts";
import { endCapture } from "./_capture_end.ts";

const log = getLogger(["twitchtool", "record"]);

/** What a session needs to know. */
export interface SessionRequest {
  /** Normalized channel name. */
  readonly user: string;
  readonly config: Config;
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
}

/**
 * Runs one recording to its end. Throws `AlreadyRunningError` when the channel is being
 * recorded, `LowDiskError` below `disk_free_min`, `NothingCapturedError` when nothing came.
 */
export async function runCaptureSession(
  request: SessionRequest,
  signals: SessionSignals,
  deps: SessionDeps = {},
): Promise<SessionOutcome> {
  const clock = deps.clock ?? systemClock;
  const { config, user, adopt } = request;
  const runtimeDir = config.paths.runtimeDir;
  const disk = new DiskWatch(
    freeBytesMakingRoom(config, user, deps.freeBytes ?? freeBytes),
    config.paths.recordDir,
    config.storage.diskFreeMinBytes,
  );
  if (!adopt) {
    const initialLowDisk = await disk.lowDiskReason();
    if (initialLowDisk) throw new LowDiskError(`Not recording "${user}": ${initialLowDisk}`);
  }
  await prepareFolders(config);

  // An adopted streamlink holds the channel's capture lock itself: that is expected here.
  using _userLock = await acquireUserLock(runtimeDir, user, { adopting: !!adopt?.capture });
  // A request made while the session had no host (or was changing hosts) still applies.
  if (!adopt) await clearStopRequest(runtimeDir, user);
  const stopWatch = new AbortController();
  const stop = AbortSignal.any([signals.stop, stopWatch.signal]);
  const leave = signals.leave;
  const waitSignal = leave ? AbortSignal.any([stop, leave]) : stop;
  const watching = watchStopRequest(runtimeDir, user, clock, stopWatch, waitSignal);

  const startedAt = adopt ? new Date(adopt.manifest.started_at) : new Date(clock.now());
  const slot = new SessionSlot();
  try {
    const pool = new SlotPool(runtimeDir, config.limits.recordLimit, clock);
    await slot.acquire(pool, request, startedAt, waitSignal);
    return await reportSession(
      user,
      captureInSlot(request, {
        stop,
        leave,
        slot: slot.handle,
        releaseSlot: slot.release,
        clock,
        startedAt,
        lowDiskReason: disk.lowDiskReason,
        onDiskFull: disk.onDiskFull,
      }),
    );
  } finally {
    stopWatch.abort();
    await watching;
    await slot.release();
    if (!slot.left) await clearStopRequest(runtimeDir, user);
  }
}

/** Free space as a session sees it: below `disk_free_min`, or full by streamlink's own word. */
class DiskWatch {
  /** Set when streamlink reports ENOSPC: the disk is full whatever disk_free_min says. */
  #full: string | undefined;

  constructor(
    readonly free: (path: string) => Promise<number>,
    readonly recordDir: string,
    readonly minFree: number,
  ) {}

  /** Why there is not room enough to record, or undefined. */
  lowDiskReason = async (): Promise<string | undefined> => {
    if (this.#full) return this.#full;
    const available = await this.free(this.recordDir);
    return available < this.minFree
      ? `only ${freeSpaceShortfall(available, this.minFree, `on "${this.recordDir}"`)}`
      : undefined;
  };

  /** streamlink said ENOSPC. */
  onDiskFull = (detail: string): void => {
    this.#full = detail;
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

/** The session's slot in the pool: taken once, then freed (or only let go of) once. */
class SessionSlot {
  handle: SlotHandle | undefined;
  #released = false;
  /** The capture was left running for the next poller (its stop request stays too). */
  left = false;

  /**
   * Takes a slot, waiting for one unless the capture is adopted. Throws `NothingCapturedError`
   * when stopped while waiting.
   */
  async acquire(
    pool: SlotPool,
    request: SessionRequest,
    startedAt: Date,
    waitSignal: AbortSignal,
  ): Promise<void> {
    const { user, adopt } = request;
    const owner = {
      pid: Deno.pid,
      username: user,
      started_at: startedAt.toISOString(),
      ...(request.detachedLog !== undefined ? { host: "poller" as const } : {}),
    };
    // An adopted capture is running already: never make it wait (a lowered record_limit); it
    // holds its slot's capture lock, so exactly that slot is taken over.
    this.handle = adopt?.capture
      ? await pool.tryAcquire(owner, adopt.capture.slot)
      : await pool.acquire(owner, { failFast: request.failFast, signal: waitSignal });
    if (!this.handle && !adopt?.capture) {
      throw new NothingCapturedError(
        `Stopped while waiting for a slot: nothing recorded for "${user}"`,
      );
    }
    if (!this.handle) log.warn("No free slot for adopted {user}: recording without one", { user });
  }

  /** See {@link SlotContext.releaseSlot}. */
  release = async (leaving = false): Promise<void> => {
    if (this.#released) return;
    this.#released = true;
    this.left = leaving;
    // Leaving a capture running: it keeps the slot through its capture lock, and the owner
    // file stays for `status` and the next poller.
    if (leaving) this.handle?.leave();
    else await this.handle?.release();
  };
}

/**
 * The capture proper, holding the channel lock and a slot: journal the session, prepare the
 * locks streamlink holds, run the capture loop, then finalize (or leave it to the next poller).
 */
async function captureInSlot(
  request: SessionRequest,
  context: SlotContext,
): Promise<SessionOutcome> {
  const { config, user } = request;
  const session = new SlotSession(request, context);
  session.logStart();
  await session.journal();
  // Each streamlink holds this lock for its whole life, so `recover` and the next poller know a
  // part is still being written even after this process is killed with -9.
  const captureLock = await prepareCaptureLock(config.paths.runtimeDir, session.base);
  // Secret streamlink options go through a 0600 file, never argv (`ps` shows argv to everyone).
  await using streamlinkExtra = await privateStreamlinkArgs(
    config.paths.runtimeDir,
    config.streamlink.extraArgs,
  );
  // Sessions abandoned by dead recorders are finished alongside, never delaying the capture.
  const recovery = recoverSessions(config, { ownUser: user, excludeBase: session.base })
    .then(logRecoveryReports)
    .catch((error) => log.error("Recovery failed: {error}", { error: (error as Error).message }));
  const streamlink = await StreamlinkStarter.prepare(session, captureLock, streamlinkExtra);
  const chat = await startSessionChat(config, user, session.base, context.clock);
  let result: CaptureResult | undefined;
  try {
    result = await captureLoop(
      captureSettings(config),
      captureDeps(session, async (output) => {
        chat?.partStarted(output, context.clock.now());
        return await streamlink.start(output);
      }),
      context.stop,
      {
        firstPartIndex: firstPartIndex(request.adopt, session.base),
        adopted: !!request.adopt?.capture,
        ...(context.leave ? { leave: context.leave } : {}),
      },
    );
  } finally {
    await chat?.stop();
    await context.releaseSlot(result?.reason === "left");
  }
  return await endCapture(session, result, recovery);
}

/** Retry timing from the config, the rest at its defaults. */
function captureSettings(config: Config): CaptureSettings {
  return {
    retryDelayMs: config.record.retryDelay * 1000,
    retryWindowMs: config.record.retryWindow * 1000,
    ...DEFAULT_CAPTURE_TIMING,
  };
}

/** The capture loop's collaborators for one session: real files, streamlink, the session's hooks. */
function captureDeps(
  session: SlotSession,
  startCapture: (output: string) => Promise<Child>,
): CaptureDeps {
  const { clock } = session.context;
  const { user, config } = session.request;
  return {
    clock,
    partPath: (index) => partPath(session.tempDir, session.base, index),
    startCapture,
    stopCapture: (child) => stopChild(child, { first: "SIGINT", graceMs: 5000, clock }),
    fileSize: sizeOrZero,
    removeEmpty: async (path) => void await removeIfExists(path),
    repeatsPart: isTailOfPart,
    onState: (state) => session.onState(state),
    onPart: (path) => session.onPart(path),
    checkDisk: session.context.lowDiskReason,
    onReport: (report) =>
      logReport(user, report, config.record.retryWindow, session.networkTrouble),
  };
}

/** Aborts `controller` once a stop request for `user` appears, until `done` aborts. */
async function watchStopRequest(
  runtimeDir: string,
  user: string,
  clock: Clock,
  controller: AbortController,
  done: AbortSignal,
): Promise<void> {
  while (!controller.signal.aborted && !done.aborted) {
    if (await isStopRequested(runtimeDir, user).catch(() => false)) {
      log.info("Stop requested for {user}: finalizing", { user });
      controller.abort();
      return;
    }
    await clock.sleep(WATCH_MS, AbortSignal.any([controller.signal, done]));
  }
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
    log.warn(
      `Cannot reach the stream of {user}: {problem}; a network problem, not the channel going offline; retrying, giving up in ${
        formatDuration(report.giveUpInMs / 1000)
      }`,
      { user, problem: networkTrouble, give_up_in_seconds: Math.round(report.giveUpInMs / 1000) },
    );
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
