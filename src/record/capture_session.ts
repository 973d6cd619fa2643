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
import { ensurePrivateDir, removeIfExists, sizeOrZero } from "../state/atomic_write.ts";
import {
  isSessionCaptureAlive,
  prepareCaptureLock,
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
import { acquireUserLock } from "../state/user_lock.ts";
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
  /** The broadcast's in-progress archive video, when the API reported one (for back-fill). */
  readonly vodId?: string;
}

/** A hosted session whose streamlink outlived its poller. */
export interface AdoptedSession {
  readonly manifest: SessionManifest;
  readonly capture: CaptureProcess;
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

  using _userLock = await acquireUserLock(runtimeDir, user);
  await clearStopRequest(runtimeDir, user);
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
  const releaseSlot = async () => {
    if (released) return;
    released = true;
    await slot?.release();
  };
  try {
    // An adopted capture is running already: never make it wait (a lowered record_limit).
    slot = adopt
      ? await pool.tryAcquire(owner)
      : await pool.acquire(owner, { failFast: request.failFast, signal: waitSignal });
    if (!slot && !adopt) {
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
    await clearStopRequest(runtimeDir, user);
  }
}

interface SlotContext {
  readonly stop: AbortSignal;
  readonly leave: AbortSignal | undefined;
  readonly slot: SlotHandle | undefined;
  /** Frees the slot once capture ends (finalizing needs none); safe to call twice. */
  readonly releaseSlot: () => Promise<void>;
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
  const startStreamlink = async (output: string): Promise<Child> => {
    if (adopted && adopted.part === output) {
      const running = adopted;
      adopted = undefined;
      return attachedProcess(
        running.pid,
        () => isSessionCaptureAlive(config.paths.runtimeDir, base),
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
    const locked = lockedCommand(captureLock, "streamlink", args);
    let child: Child;
    if (request.detachedLog) {
      const header = `--- ${new Date(clock.now()).toISOString()} ${base}: streamlink ${
        redactArgs(args).join(" ")
      }\n`;
      await startDetachedLog(request.detachedLog, header);
      child = spawnDetached(locked.command, locked.args, request.detachedLog);
      capture = { pid: child.pid, part: output };
      await writeManifest(tempDir, manifest());
    } else {
      const forward = (line: string) => {
        if (NO_SPACE.test(line)) context.onDiskFull(`no space left on device writing "${output}"`);
        log[streamlinkLogLevel(line)]("streamlink: {line}", { user, line });
      };
      child = spawnChild(locked.command, locked.args, {
        stdout: { lines: forward },
        stderr: { lines: forward },
      });
    }
    return child;
  };

  let result;
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
          log.info(
            state === "capturing" ? "Stream data flowing" : "Stream not available; waiting",
            { user, state },
          );
        },
        onPart: async (path) => {
          parts.push(path);
          capture = undefined;
          await writeManifest(tempDir, manifest());
        },
        checkDisk: context.lowDiskReason,
        onReport: (report) => logReport(user, report, config.record.retryWindow),
      },
      context.stop,
      {
        firstPartIndex: adopt ? partIndexOf(adopt.capture.part, base) ?? earlier.length + 1 : 1,
        ...(context.leave ? { leave: context.leave } : {}),
      },
    );
  } finally {
    await context.releaseSlot();
  }
  if (result.reason === "left") {
    log.info("Left {user} ({base}) capturing for the next poller", { user, base });
    return { reason: "left" };
  }
  await removeCaptureLock(config.paths.runtimeDir, base);
  log.info(
    `Capture ended: ${
      describeEnd(result.reason, config.record.retryWindow)
    }; ${parts.length} part(s), slot released`,
    { reason: result.reason, count: parts.length },
  );

  if (parts.length === 0) {
    await removeManifest(tempDir, base);
    await recovery;
    if (result.reason === "low-disk") {
      throw new LowDiskError(`Stopped recording "${user}": ${result.detail}`);
    }
    throw new NothingCapturedError(`Nothing captured for "${user}": the stream was not available`);
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
function logReport(user: string, report: CaptureReport, retryWindow: number): void {
  if (report.kind === "capturing") {
    const size = formatBytes(report.bytes);
    const duration = formatDuration(report.ms / 1000);
    log.info(`Capturing {user}: ${size} in ${report.parts} part(s), ${duration} so far`, {
      user,
      bytes: report.bytes,
      parts: report.parts,
      seconds: Math.round(report.ms / 1000),
    });
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
function describeEnd(reason: Exclude<CaptureEndReason, "left">, retryWindow: number): string {
  switch (reason) {
    case "window-expired":
      return `the stream stayed offline for retry_window (${formatDuration(retryWindow)})`;
    case "interrupted":
      return "stopped on request";
    case "low-disk":
      return "free space fell below disk_free_min";
  }
}
