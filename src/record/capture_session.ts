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
 */
import { readAt } from "../util/read_at.ts";
import { lastNetworkProblem, networkProblem } from "./stream_problem.ts";
import { logRotation, rotateLogIfLarge } from "../state/log_rotation.ts";
import { ensurePrivateDirs } from "../state/private_dirs.ts";
import { backfillSettings } from "./backfill_settings.ts";
import { dirname } from "node:path";
import { getLogger } from "@logtape/logtape";
import type { Config } from "../config/config.ts";
import { LowDiskError, NothingCapturedError } from "../errors.ts";
import type { LowPriorityTools } from "../proc/ffmpeg_args.ts";
import {
  attachedProcess,
  type Child,
  spawnChild,
  spawnDetached,
  startDetachedLog,
  stopChild,
} from "../proc/spawn.ts";
import {
  captureArgs,
  redactArgs,
  streamUrl,
  unmaskedOutputLoglevel,
} from "../proc/streamlink_args.ts";
import { lockedCommand } from "../proc/locked_command.ts";
import { failpoint } from "../proc/failpoint.ts";
import { ensurePrivateDir, removeIfExists, sizeOrZero } from "../state/atomic_write.ts";
import { FileLock } from "../state/file_lock.ts";
import {
  captureHolderPid,
  prepareCaptureLock,
  prepareLockFile,
  removeCaptureLock,
} from "../state/capture_lock.ts";
import {
  type CaptureProcess,
  removeManifest,
  type SessionManifest,
  writeManifest,
} from "../state/session_manifest.ts";
import { type SlotHandle, SlotPool } from "../state/slot_pool.ts";
import { clearStopRequest, isStopRequested } from "../state/stop_request.ts";
import { privateStreamlinkArgs } from "../state/streamlink_args_file.ts";
import { acquireUserLock, userCaptureLockPath } from "../state/user_lock.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import {
  formatBytes,
  freeBytes,
  freeSpaceShortfall,
  isNoSpaceError,
  NO_SPACE,
} from "../util/disk_space.ts";
import { formatDuration } from "../util/format_duration.ts";
import {
  type CaptureEndReason,
  captureLoop,
  type CaptureReport,
  DEFAULT_CAPTURE_TIMING,
} from "./capture_loop.ts";
import { type FinishedSession, finishSession } from "./finish_session.ts";
import { isTailOfPart } from "./part_tail.ts";
import { logRecoveryReports, recoverSessions } from "./recover.ts";
import { partIndexOf, partPath, sessionBase } from "../state/session_folder.ts";
import { streamlinkLogLevel } from "./streamlink_log_level.ts";
import { notifyRecordingStarted, reportSession } from "../notify/session_events.ts";
import { freeBytesMakingRoom } from "../retention/room_for_capture.ts";
import { startSessionChat } from "../chat/session_chat.ts";

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

/** How often a hosted session looks for a stop request, and an adopted streamlink for its end. */
const WATCH_MS = 500;

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
  const free = freeBytesMakingRoom(request.config, request.user, deps.freeBytes ?? freeBytes);
  const { config, user, adopt } = request;
  const tempDir = config.paths.tempDir;
  const hosted = request.detachedLog !== undefined;
  const runtimeDir = config.paths.runtimeDir;
  const recordDir = config.paths.recordDir;
  const minFree = config.storage.diskFreeMinBytes;
  // Set when streamlink reports ENOSPC: the disk is full whatever disk_free_min says.
  let diskFull: string | undefined;
  const lowDiskReason = async () => {
    if (diskFull) return diskFull;
    const available = await free(recordDir);
    return available < minFree
      ? `only ${freeSpaceShortfall(available, minFree, `on "${recordDir}"`)}`
      : undefined;
  };
  if (!adopt) {
    const initialLowDisk = await lowDiskReason();
    if (initialLowDisk) throw new LowDiskError(`Not recording "${user}": ${initialLowDisk}`);
  }
  // The recordings folder keeps the umask's mode (others may be meant to read it), the temp
  // folder inside is private.
  await Deno.mkdir(dirname(tempDir), { recursive: true });
  await ensurePrivateDir(tempDir);
  await ensurePrivateDirs(config.paths);

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
  const pool = new SlotPool(runtimeDir, config.limits.recordLimit, clock);
  const owner = {
    pid: Deno.pid,
    username: user,
    started_at: startedAt.toISOString(),
    ...(hosted ? { host: "poller" as const } : {}),
  };
  let slot: SlotHandle | undefined;
  let released = false;
  let left = false;
  const releaseSlot = async (leaving = false) => {
    if (released) return;
    released = true;
    left = leaving;
    // Leaving a capture running: it keeps the slot through its capture lock, and the owner
    // file stays for `status` and the next poller.
    if (leaving) slot?.leave();
    else await slot?.release();
  };
  try {
    // An adopted capture is running already: never make it wait (a lowered record_limit); it
    // holds its slot's capture lock, so exactly that slot is taken over.
    slot = adopt?.capture
      ? await pool.tryAcquire(owner, adopt.capture.slot)
      : await pool.acquire(owner, { failFast: request.failFast, signal: waitSignal });
    if (!slot && !adopt?.capture) {
      throw new NothingCapturedError(
        `Stopped while waiting for a slot: nothing recorded for "${user}"`,
      );
    }
    if (!slot) log.warn("No free slot for adopted {user}: recording without one", { user });
    return await reportSession(
      user,
      captureInSlot(request, {
        stop,
        leave,
        slot,
        releaseSlot,
        clock,
        startedAt,
        lowDiskReason,
        onDiskFull: (detail) => diskFull = detail,
      }),
    );
  } finally {
    stopWatch.abort();
    await watching;
    await releaseSlot();
    if (!left) await clearStopRequest(runtimeDir, user);
  }
}

interface SlotContext {
  readonly stop: AbortSignal;
  readonly leave: AbortSignal | undefined;
  readonly slot: SlotHandle | undefined;
  /**
   * Frees the slot once capture ends (finalizing needs none), or only lets go of it when
   * `leaving` a capture running; safe to call twice.
   */
  readonly releaseSlot: (leaving?: boolean) => Promise<void>;
  readonly clock: Clock;
  readonly startedAt: Date;
  readonly lowDiskReason: () => Promise<string | undefined>;
  /** streamlink said ENOSPC (only seen for a streamlink whose output this process reads). */
  readonly onDiskFull: (detail: string) => void;
}

async function captureInSlot(
  request: SessionRequest,
  context: SlotContext,
): Promise<SessionOutcome> {
  const { config, user, adopt } = request;
  const tempDir = config.paths.tempDir;
  const { clock, slot } = context;
  const hosted = request.detachedLog !== undefined;
  const base = adopt?.manifest.base ?? sessionBase(user, new Date(clock.now()));
  const url = streamUrl(config.streamlink.urlTemplate, user);
  log.info(
    adopt ? "Adopted {user} in slot {slot}: {base}" : "Recording {user} in slot {slot} from {url}",
    {
      user,
      slot: slot?.index ?? "none",
      url,
      base,
    },
  );
  const earlier = [...(adopt?.manifest.parts ?? [])];
  const parts: string[] = [...earlier];
  let capture: CaptureProcess | undefined = adopt?.capture;
  const stream = request.stream ??
    (adopt?.manifest.stream_id && adopt.manifest.live_since
      ? {
        id: adopt.manifest.stream_id,
        liveSince: adopt.manifest.live_since,
        ...(adopt.manifest.vod_id ? { vodId: adopt.manifest.vod_id } : {}),
      }
      : undefined);
  let firstDataAt = adopt?.manifest.first_data_at;
  // Set once capturing has ended for good: the session is then only finalized, never adopted.
  const captureEnd: { at?: string } = {};
  const manifest = (): SessionManifest => ({
    user,
    base,
    pid: Deno.pid,
    started_at: context.startedAt.toISOString(),
    phase: "capturing",
    parts,
    enable_remux: adopt?.manifest.enable_remux ?? config.record.enableRemux,
    delete_ts_after_remux: adopt?.manifest.delete_ts_after_remux ??
      config.record.deleteTsAfterRemux,
    delete_input_on_success: adopt?.manifest.delete_input_on_success ??
      config.record.deleteInputOnSuccess,
    ...(stream ? { stream_id: stream.id, live_since: stream.liveSince } : {}),
    ...(stream?.vodId ? { vod_id: stream.vodId } : {}),
    ...(firstDataAt ? { first_data_at: firstDataAt } : {}),
    ...(hosted ? { host: "poller" as const } : {}),
    ...(capture ? { capture } : {}),
    ...(captureEnd.at ? { capture_ended_at: captureEnd.at } : {}),
  });
  await writeManifest(tempDir, manifest());
  // Each streamlink holds this lock for its whole life, so `recover` and the next poller know a
  // part is still being written even after this process is killed with -9.
  const captureLock = await prepareCaptureLock(config.paths.runtimeDir, base);
  // Secret streamlink options go through a 0600 file, never argv (`ps` shows argv to everyone).
  await using streamlinkExtra = await privateStreamlinkArgs(
    config.paths.runtimeDir,
    config.streamlink.extraArgs,
  );
  // Sessions abandoned by dead recorders are finished alongside, never delaying the capture.
  const recovery = recoverSessions(config, { ownUser: user, excludeBase: base })
    .then(logRecoveryReports)
    .catch((error) => log.error("Recovery failed: {error}", { error: (error as Error).message }));

  const detachedLoglevel = unmaskedOutputLoglevel(
    config.record.loglevel,
    streamlinkExtra.secrets.length > 0,
  );
  if (request.detachedLog && detachedLoglevel !== config.record.loglevel) {
    log.warn(
      "streamlink runs at loglevel {used}, not {asked}: at {asked} it prints the secret options of streamlink.extra_args into {file}, which this process cannot mask for a recording the poller hosts (run `twitchtool record` for a debug log)",
      { used: detachedLoglevel, asked: config.record.loglevel, file: request.detachedLog },
    );
  }
  let adopted = adopt?.capture;
  /** What kept the last attempt from the stream when it was the network, not the channel. */
  let networkTrouble: string | undefined;
  // The API just said "live" and nothing came yet: streamlink's "no streams" means no route.
  const apiLiveNoData = () => stream !== undefined && firstDataAt === undefined;
  // Besides the session's capture lock, each streamlink holds its slot's and its channel's
  // capture locks: a capture whose host is gone still counts against record_limit, keeps its
  // channel taken and pauses the encoder, for exactly as long as it runs.
  const heldLocks = [
    ...(slot ? [slot.captureLockPath] : []),
    userCaptureLockPath(config.paths.runtimeDir, user),
    captureLock,
  ];
  for (const path of heldLocks) await prepareLockFile(path);
  const chat = await startSessionChat(config, user, base, clock);
  const startStreamlink = async (output: string): Promise<Child> => {
    chat?.partStarted(output, clock.now());
    if (adopted && adopted.part === output) {
      const running = adopted;
      adopted = undefined;
      // The kernel names the capture lock's holder: no pid from a file is trusted.
      const pid = await captureHolderPid(config.paths.runtimeDir, base) || running.pid;
      capture = { ...running, pid, ...(slot ? { slot: slot.index } : {}) };
      await writeManifest(tempDir, manifest());
      // Probed, not read from /proc/locks (which can miss an entry while locks come and go):
      // holding the channel lock, this process is the only one that may take it.
      return attachedProcess(
        pid,
        () => FileLock.probe(captureLock),
        {
          clock,
          pollMs: WATCH_MS,
        },
      );
    }
    const args = captureArgs({
      url,
      quality: config.record.quality,
      output,
      loglevel: request.detachedLog ? detachedLoglevel : config.record.loglevel,
      extraArgs: streamlinkExtra.args,
      // Every part reaches back to the oldest segment the live playlist holds: the first so the
      // recording starts with the broadcast, not where detection happened to notice it; later
      // ones so a restart after a crash or a network error covers what the outage skipped.
      // What a later part repeats of the one before is dropped by content at finalize.
      fromWindowStart: true,
    });
    log.debug("Running streamlink {args}", { args: redactArgs(args).join(" ") });
    networkTrouble = undefined;
    const locked = lockedCommand(heldLocks, "streamlink", args);
    let child: Child;
    if (request.detachedLog) {
      const header = `--- ${new Date(clock.now()).toISOString()} ${base}: streamlink ${
        redactArgs(args).join(" ")
      }\n`;
      // A part boundary: the new streamlink opens the log afresh, so rotate here (see
      // state/log_rotation.ts: the previous streamlink keeps writing into the renamed file).
      rotateLogIfLarge(request.detachedLog, logRotation(config.logging.maxLogMb));
      await startDetachedLog(request.detachedLog, header);
      // Journaled before the spawn: a poller killed right after it leaves a manifest that
      // names the running part and its slot, so the next poller adopts it.
      const slotIndex = slot ? { slot: slot.index } : {};
      capture = { pid: 0, part: output, ...slotIndex };
      await writeManifest(tempDir, manifest());
      const logPath = request.detachedLog;
      const from = await sizeOrZero(logPath);
      const spawned = spawnDetached(locked.command, locked.args, logPath);
      // Its output goes to the log, not through us: read what it said once it ends.
      child = {
        ...spawned,
        exited: spawned.exited.then(async (exit) => {
          networkTrouble = lastNetworkProblem(await readLogTail(logPath, from), apiLiveNoData());
          return exit;
        }),
      };
      await failpoint("streamlink-spawned");
      capture = { pid: child.pid, part: output, ...slotIndex };
      await writeManifest(tempDir, manifest());
    } else {
      const forward = (line: string) => {
        if (NO_SPACE.test(line)) context.onDiskFull(`no space left on device writing "${output}"`);
        networkTrouble = networkProblem(line, apiLiveNoData()) ?? networkTrouble;
        log[streamlinkLogLevel(line)]("streamlink: {line}", { user, line });
      };
      child = spawnChild(locked.command, locked.args, {
        stdout: { lines: forward },
        stderr: { lines: forward },
      });
    }
    return child;
  };

  let result: Awaited<ReturnType<typeof captureLoop>> | undefined;
  try {
    result = await captureLoop(
      {
        retryDelayMs: config.record.retryDelay * 1000,
        retryWindowMs: config.record.retryWindow * 1000,
        ...DEFAULT_CAPTURE_TIMING,
      },
      {
        clock,
        partPath: (index) => partPath(tempDir, base, index),
        startCapture: startStreamlink,
        stopCapture: (child) => stopChild(child, { first: "SIGINT", graceMs: 5000, clock }),
        fileSize: sizeOrZero,
        removeEmpty: async (path) => void await removeIfExists(path),
        repeatsPart: isTailOfPart,
        onState: async (state) => {
          await slot?.setState(state);
          if (state === "capturing" && !firstDataAt) {
            firstDataAt = new Date(clock.now()).toISOString();
            await writeManifest(tempDir, manifest());
            notifyRecordingStarted(user, base, stream);
            if (stream) {
              log.info("First data {late} s after the broadcast {id} went live at {since}", {
                late: Math.round((clock.now() - Date.parse(stream.liveSince)) / 100) / 10,
                id: stream.id,
                since: stream.liveSince,
              });
            }
          }
          if (state === "waiting" && networkTrouble) {
            log.warn(
              "Cannot reach the stream of {user}: {problem}; a network problem, not the channel going offline",
              { user, state, problem: networkTrouble },
            );
          } else {
            log.info(
              state === "capturing" ? "Stream data flowing" : "Stream not available; waiting",
              { user, state },
            );
          }
        },
        onPart: async (path) => {
          parts.push(path);
          capture = undefined;
          await writeManifest(tempDir, manifest());
        },
        checkDisk: context.lowDiskReason,
        onReport: (report) => logReport(user, report, config.record.retryWindow, networkTrouble),
      },
      context.stop,
      {
        firstPartIndex: firstPartIndex(adopt, base),
        ...(context.leave ? { leave: context.leave } : {}),
      },
    );
  } finally {
    await chat?.stop();
    await context.releaseSlot(result?.reason === "left");
  }
  if (result.reason === "left") {
    log.info("Left {user} ({base}) capturing for the next poller", { user, base });
    return { reason: "left" };
  }
  await removeCaptureLock(config.paths.runtimeDir, base);
  capture = undefined;
  captureEnd.at = new Date(clock.now()).toISOString();
  // On a full disk this note may not fit: the manifest then keeps its last state (the session
  // is finalized here anyway), and finalize reports the lack of space as documented.
  if (parts.length > 0) {
    await writeManifest(tempDir, manifest()).catch((error) => {
      if (!isNoSpaceError(error)) throw error;
      log.warn("No room to note the end of capture in the manifest of {base}", { base });
    });
  }
  log.info(
    `Capture ended: ${
      describeEnd(result.reason, config.record.retryWindow, networkTrouble)
    }; ${parts.length} part(s), slot released`,
    { reason: result.reason, count: parts.length },
  );

  if (parts.length === 0) {
    await removeManifest(tempDir, base);
    await recovery;
    if (result.reason === "low-disk") {
      throw new LowDiskError(`Stopped recording "${user}": ${result.detail}`);
    }
    throw new NothingCapturedError(
      networkTrouble
        ? `Nothing captured for "${user}": the stream could not be reached (${networkTrouble}), a network problem`
        : `Nothing captured for "${user}": the stream was not available`,
    );
  }

  let finished: FinishedSession;
  try {
    capture = undefined;
    finished = await finishSession(manifest(), {
      tempDir,
      recordDir: config.paths.recordDir,
      queueDir: config.paths.queueDir,
      stateDir: config.paths.stateDir,
      ...(request.lowPriority ? { lowPriority: request.lowPriority } : {}),
      ...backfillSettings(config),
    });
  } catch (error) {
    const outOfSpace = isNoSpaceError(error) ||
      (result.reason === "low-disk" && (await context.lowDiskReason()) !== undefined);
    if (!outOfSpace) throw error;
    // Nothing is lost: the parts and the manifest stay for `recover` once there is room.
    log.warn("Cannot finalize {base}: {error}", { base, error: (error as Error).message });
    const why = result.detail ?? (error as Error).message;
    throw new LowDiskError(
      `Stopped recording "${user}": ${why}; not finalized for lack of space: ${parts.length} part(s) kept in "${tempDir}", free some space and run "twitchtool recover"`,
    );
  } finally {
    await recovery;
  }
  if (result.reason === "low-disk") {
    throw new LowDiskError(
      `Stopped recording "${user}" early: ${result.detail}; kept ${finished.delivered[0]}`,
    );
  }
  return { reason: result.reason, finished };
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

/** The end of a log from `from` on (at most its last 64 KiB): what one streamlink printed. */
async function readLogTail(path: string, from: number): Promise<string> {
  try {
    using file = await Deno.open(path, { read: true });
    const size = (await file.stat()).size;
    const start = size < from ? 0 : Math.max(from, size - 64 * 1024);
    return new TextDecoder().decode(await readAt(file, start, size - start));
  } catch {
    return "";
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
