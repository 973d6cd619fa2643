import { dirname } from "node:path";
import { getLogger } from "@logtape/logtape";
import type { Config } from "../config/config.ts";
import { LowDiskError, NothingCapturedError } from "../errors.ts";
import { spawnChild, stopChild } from "../proc/spawn.ts";
import { lockedCommand } from "../proc/locked_command.ts";
import { captureArgs, redactArgs, streamUrl } from "../proc/streamlink_args.ts";
import { requireTools } from "../proc/which.ts";
import { removeIfExists } from "../state/atomic_write.ts";
import { prepareCaptureLock, removeCaptureLock } from "../state/capture_lock.ts";
import { removeManifest, type SessionManifest, writeManifest } from "../state/session_manifest.ts";
import { SlotPool } from "../state/slot_pool.ts";
import { privateStreamlinkArgs } from "../state/streamlink_args_file.ts";
import { acquireUserLock } from "../state/user_lock.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { formatBytes, freeBytes, isNoSpaceError, NO_SPACE } from "../util/disk_space.ts";
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
import { partPath, sessionBase, tempDirFor } from "./session_paths.ts";
import { streamlinkLogLevel } from "./streamlink_log_level.ts";
import { normalizeUsername } from "./username.ts";

const log = getLogger(["twitchtool", "record"]);

/** One `record` run. */
export interface RecordRequest {
  readonly username: string;
  readonly config: Config;
  readonly home: string;
  readonly failFast: boolean;
  /** The broadcast the poller saw live (from the API), recorded in the session manifest. */
  readonly stream?: { readonly id: string; readonly liveSince: string } | undefined;
}

/** What a finished recording produced. */
export interface RecordOutcome {
  readonly reason: CaptureEndReason;
  readonly finished: FinishedSession;
}

/** Collaborators of the recorder, real by default. */
export interface RecorderDeps {
  readonly clock?: Clock;
  /** Free bytes on the recordings filesystem. */
  readonly freeBytes?: (path: string) => Promise<number>;
}

/**
 * Records one channel: validate, take the channel lock and a slot, capture parts until the
 * stream is gone for `retry_window`, release the slot, finalize, enqueue the encode job.
 * Stops capturing (and still finalizes) when `signal` aborts.
 */
export async function runRecorder(
  request: RecordRequest,
  signal: AbortSignal,
  deps: RecorderDeps = {},
): Promise<RecordOutcome> {
  const clock = deps.clock ?? systemClock;
  const free = deps.freeBytes ?? freeBytes;
  const { config } = request;
  const user = normalizeUsername(request.username);
  await requireTools(["streamlink", "ffmpeg", "ffprobe", "flock"]);

  const recordDir = config.paths.recordDir;
  const tempDir = tempDirFor(recordDir, request.home);
  const minFree = config.storage.diskFreeMinBytes;
  // Set when streamlink reports ENOSPC: the disk is full whatever disk_free_min says.
  let diskFull: string | undefined;
  const lowDiskReason = async () => {
    if (diskFull) return diskFull;
    const available = await free(recordDir);
    return available < minFree
      ? `only ${formatBytes(available)} free on "${recordDir}", below disk_free_min ${
        formatBytes(minFree)
      }`
      : undefined;
  };
  const initialLowDisk = await lowDiskReason();
  if (initialLowDisk) throw new LowDiskError(`Not recording "${user}": ${initialLowDisk}`);
  // The recordings folder keeps the umask's mode (others may be meant to read it), the temp
  // folder inside is private.
  await Deno.mkdir(dirname(tempDir), { recursive: true });
  await Deno.mkdir(tempDir, { recursive: true, mode: 0o700 });
  await using streamlinkExtra = await privateStreamlinkArgs(
    config.paths.runtimeDir,
    config.streamlink.extraArgs,
  );

  using _userLock = await acquireUserLock(config.paths.runtimeDir, user);
  const startedAt = new Date(clock.now());
  const pool = new SlotPool(config.paths.runtimeDir, config.limits.recordLimit, clock);
  const slot = await pool.acquire(
    { pid: Deno.pid, username: user, started_at: startedAt.toISOString() },
    { failFast: request.failFast, signal },
  );
  if (!slot) {
    throw new NothingCapturedError(
      `Stopped while waiting for a slot: nothing recorded for "${user}"`,
    );
  }

  const base = sessionBase(user, new Date(clock.now()));
  const url = streamUrl(config.streamlink.urlTemplate, user);
  log.info("Recording {user} in slot {slot} from {url}", { user, slot: slot.index, url });
  let firstDataAt: string | undefined;
  const manifest = (
    phase: SessionManifest["phase"],
    parts: readonly string[],
  ): SessionManifest => ({
    user,
    base,
    pid: Deno.pid,
    started_at: startedAt.toISOString(),
    phase,
    parts,
    enable_remux: config.record.enableRemux,
    delete_ts_after_remux: config.record.deleteTsAfterRemux,
    delete_input_on_success: config.record.deleteInputOnSuccess,
    ...(request.stream
      ? { stream_id: request.stream.id, live_since: request.stream.liveSince }
      : {}),
    ...(firstDataAt ? { first_data_at: firstDataAt } : {}),
  });
  const parts: string[] = [];
  await writeManifest(tempDir, manifest("capturing", parts));
  // Each streamlink holds this lock for its whole life, so `recover` knows a part is still being
  // written even after this recorder is killed with -9 and its streamlink lives on.
  const captureLock = await prepareCaptureLock(config.paths.runtimeDir, base);
  // Sessions abandoned by dead recorders are finished alongside, never delaying the capture.
  const recovery = recoverSessions(config, request.home, { ownUser: user, excludeBase: base })
    .then(logRecoveryReports)
    .catch((error) => log.error("Recovery failed: {error}", { error: (error as Error).message }));

  let capture;
  try {
    capture = await captureLoop(
      {
        retryDelayMs: config.record.retryDelay * 1000,
        retryWindowMs: config.record.retryWindow * 1000,
        ...DEFAULT_CAPTURE_TIMING,
      },
      {
        clock,
        partPath: (index) => partPath(tempDir, base, index),
        startCapture: (output) => {
          const args = captureArgs({
            url,
            quality: config.record.quality,
            output,
            loglevel: config.record.loglevel,
            extraArgs: streamlinkExtra.args,
          });
          log.debug("Running streamlink {args}", { args: redactArgs(args).join(" ") });
          const forward = (line: string) => {
            if (NO_SPACE.test(line)) diskFull = `no space left on device writing "${output}"`;
            log[streamlinkLogLevel(line)]("streamlink: {line}", { user, line });
          };
          const locked = lockedCommand(captureLock, "streamlink", args);
          return spawnChild(locked.command, locked.args, {
            stdout: { lines: forward },
            stderr: { lines: forward },
          });
        },
        stopCapture: (child) => stopChild(child, { first: "SIGINT", graceMs: 5000, clock }),
        fileSize: async (path) => {
          try {
            return (await Deno.stat(path)).size;
          } catch {
            return 0;
          }
        },
        removeEmpty: async (path) => void await removeIfExists(path),
        repeatsPart: isTailOfPart,
        onState: async (state) => {
          await slot.setState(state);
          if (state === "capturing" && !firstDataAt) {
            firstDataAt = new Date(clock.now()).toISOString();
            await writeManifest(tempDir, manifest("capturing", parts));
            if (request.stream) {
              log.info("First data {late} s after the broadcast {id} went live at {since}", {
                late: Math.round((clock.now() - Date.parse(request.stream.liveSince)) / 100) / 10,
                id: request.stream.id,
                since: request.stream.liveSince,
              });
            }
          }
          log.info(
            state === "capturing" ? "Stream data flowing" : "Stream not available; waiting",
            {
              user,
              state,
            },
          );
        },
        onPart: async (path) => {
          parts.push(path);
          await writeManifest(tempDir, manifest("capturing", parts));
        },
        checkDisk: lowDiskReason,
        onReport: (report) => logReport(user, report, config.record.retryWindow),
      },
      signal,
    );
  } finally {
    await slot.release();
  }
  await removeCaptureLock(config.paths.runtimeDir, base);
  log.info(
    `Capture ended: ${
      describeEnd(capture.reason, config.record.retryWindow)
    }; ${capture.parts.length} part(s), slot released`,
    { reason: capture.reason, count: capture.parts.length },
  );

  if (capture.parts.length === 0) {
    await removeManifest(tempDir, base);
    await recovery;
    if (capture.reason === "low-disk") {
      throw new LowDiskError(`Stopped recording "${user}": ${capture.detail}`);
    }
    throw new NothingCapturedError(`Nothing captured for "${user}": the stream was not available`);
  }

  let finished: FinishedSession;
  try {
    finished = await finishSession(manifest("capturing", capture.parts), {
      tempDir,
      recordDir,
      queueDir: config.paths.queueDir,
    });
  } catch (error) {
    const outOfSpace = isNoSpaceError(error) ||
      (capture.reason === "low-disk" && (await lowDiskReason()) !== undefined);
    if (!outOfSpace) throw error;
    // Nothing is lost: the parts and the manifest stay for `recover` once there is room.
    log.warn("Cannot finalize {base}: {error}", { base, error: (error as Error).message });
    const why = capture.detail ?? (error as Error).message;
    throw new LowDiskError(
      `Stopped recording "${user}": ${why}; not finalized for lack of space: ${capture.parts.length} part(s) kept in "${tempDir}", free some space and run "twitchtool recover"`,
    );
  } finally {
    await recovery;
  }
  if (capture.reason === "low-disk") {
    throw new LowDiskError(
      `Stopped recording "${user}" early: ${capture.detail}; kept ${finished.delivered[0]}`,
    );
  }
  return { reason: capture.reason, finished };
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
function describeEnd(reason: CaptureEndReason, retryWindow: number): string {
  switch (reason) {
    case "window-expired":
      return `the stream stayed offline for retry_window (${formatDuration(retryWindow)})`;
    case "interrupted":
      return "stopped on request";
    case "low-disk":
      return "free space fell below disk_free_min";
  }
}
