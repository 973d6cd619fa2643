/**
 * Everything `twitchtool status` shows, gathered from the files the recorders and daemons
 * keep (slots, locks, status files, the queue). Nothing here asks a process anything: a file
 * lock decides whether a process runs, so the view is right even after a crash.
 */
import { FileLock } from "./file_lock.ts";
import { uploadLockPath, type UploadView, uploadView } from "./upload_queue.ts";
import type { ConfigFileState } from "../config/config_watch.ts";
import type { RenameRecord } from "./daemon_status.ts";
import { readRetentionState, type RetentionState } from "./retention_state.ts";
import { type OutboxView, readOutboxView } from "./notify_outbox.ts";
import type { Config } from "../config/config.ts";
import { capturedBytes } from "./session_folder.ts";
import { type DaemonState, readDaemonState } from "./daemon_state.ts";
import type { CurrentJobStatus, EncoderState, LaunchRecord, SkipRecord } from "./daemon_status.ts";
import { type BadJobFile, listQueue, type QueuedJob } from "./job_queue.ts";
import { listManifests, type RecordingCoverage, type SessionManifest } from "./session_manifest.ts";
import { SlotPool } from "./slot_pool.ts";
import { isUserCapturing, isUserHosted } from "./user_lock.ts";
import { isSessionCaptureAlive } from "./capture_lock.ts";

/** The state of a capture that runs though its recorder or poller is gone. */
export const NO_HOST = "capturing, no host";

/** One active recording. */
export interface RecordingView {
  /**
   * `null` while finalizing (the slot is released as soon as capture ends), or for a capture
   * adopted without a free slot (a lowered record_limit).
   */
  readonly slot: number | null;
  readonly user: string;
  /** The recorder's or hosting poller's pid (for a capture with no host, the last host's). */
  readonly pid: number;
  readonly started_at: string;
  /**
   * `capturing`, `waiting`, `finalizing`, or `capturing, no host`: a streamlink still writes
   * though its recorder or poller is gone; it holds its slot and the next poller adopts it.
   */
  readonly state: string;
  /** False for a capture whose recorder or poller is gone. */
  readonly hosted: boolean;
  /** Bytes of the current session's part files so far. */
  readonly bytes: number;
  /** When the broadcast started, per Twitch's API (when the poller launched it with the API). */
  readonly live_since: string | null;
  /** Seconds from the broadcast's start to the first captured data: how much was missed. */
  readonly late_seconds: number | null;
  /**
   * What the recording holds (seconds captured, back-filled, dropped as repeats; holes left):
   * null while capturing, known once finalize has joined the parts.
   */
  readonly coverage: RecordingCoverage | null;
  /** Chat messages captured so far; null when chat is not captured. */
  readonly chat_messages: number | null;
  /**
   * The deliverable growing in the session folder (`[record] live_remux`), playable and
   * seekable while it grows; absent without one.
   */
  readonly growing_file?: string;
}

/** The poller as seen from its lock and status file. */
export interface PollerView {
  readonly running: boolean;
  readonly pid: number | null;
  readonly started_at: string | null;
  /** Last cycle's time (kept from a previous run when not running). */
  readonly last_poll: string | null;
  readonly next_poll: string | null;
  readonly live: string[];
  readonly launched: LaunchRecord[];
  readonly skipped: SkipRecord[];
  readonly last_error: string | null;
  /** Which detector answered the last cycle: gql, helix or streamlink. */
  readonly detector: string | null;
  /** The Twitch API's most recent failure and when it happened. */
  readonly detector_error: { readonly at: string; readonly message: string } | null;
  /** The running poller's config file: whether the file on disk is in force. */
  readonly config: ConfigFileState | null;
  /** Channels followed through a rename on Twitch. */
  readonly renamed: readonly RenameRecord[];
  /** Why the status file cannot be read (corrupt or foreign), else null. */
  readonly status_unreadable: string | null;
}

/** The encoder as seen from its lock and status file. */
export interface EncoderView {
  readonly running: boolean;
  readonly pid: number | null;
  readonly state: EncoderState | null;
  readonly paused: boolean;
  readonly current_job: CurrentJobStatus | null;
  /** The running encoder's config file: whether the file on disk is in force. */
  readonly config: ConfigFileState | null;
  /** Why the status file cannot be read (corrupt or foreign), else null. */
  readonly status_unreadable: string | null;
}

/** A job in the queue. */
export interface JobView {
  readonly input: string;
  readonly output: string;
  readonly created_at: string;
  readonly path: string;
  readonly running?: boolean;
  readonly error?: string;
  /**
   * What the input's maker had to say: why it is not a verified `.mp4` (finalize's honest
   * fallback), what back-fill could not fill, why live remux did not deliver it.
   */
  readonly note?: string;
}

/** The whole `status --json` object. */
export interface StatusSnapshot {
  readonly recordings: RecordingView[];
  readonly record_limit: number;
  readonly poller: PollerView;
  readonly encoder: EncoderView;
  readonly queue: QueueView;
  /** What retention deleted, and the last capture stopped for lack of space. */
  readonly retention: RetentionState;
  /** The notification outbox: events waiting for delivery, and those given up. */
  readonly notifications: OutboxView;
  /** The upload queue (`remote` null while uploads are off; see docs/uploads.md). */
  readonly uploads: UploadView & { readonly remote: string | null };
}

/** The encode queue: each job file in exactly one list. */
export interface QueueView {
  /** Jobs waiting their turn (a job claimed by an encoder that died is waiting again). */
  readonly pending: JobView[];
  /** The job the running encoder works on. */
  readonly encoding: JobView[];
  readonly failed: JobView[];
  /** Job files that cannot be read as jobs. */
  readonly invalid: BadJobFile[];
  /** Unreadable job files too recent to judge (maybe still being written). */
  readonly too_young: BadJobFile[];
}

/**
 * The text of `status --json`: `twitchtool status --json` prints it and the status page's
 * `/api/status` serves it (each followed by a newline), so the two can never differ.
 */
export function statusJsonText(status: StatusSnapshot): string {
  return JSON.stringify(status);
}

/**
 * Messages of session `base`'s chat journal in `tempDir` so far, null when chat is not
 * captured. The chat feature owns its journal's format (src/chat/chat_counts.ts), so the caller
 * passes its reader in and state/ stays the plain files it owns.
 */
export type JournalMessageCount = (tempDir: string, base: string) => Promise<number | null>;

/**
 * Reads the current state of every part of twitchtool, each recording's chat messages counted
 * with `chatMessages`.
 */
export async function collectStatus(
  config: Config,
  chatMessages: JournalMessageCount,
): Promise<StatusSnapshot> {
  const { paths } = config;
  const tempDir = paths.tempDir;
  const pool = new SlotPool(paths.runtimeDir, config.limits.recordLimit);
  const recordings: RecordingView[] = [];
  const manifests = await listManifests(tempDir);
  for (const slot of await pool.list()) {
    const manifest = manifests.find((m) => m.pid === slot.pid && m.user === slot.username);
    recordings.push({
      slot: slot.slot,
      user: slot.username,
      pid: slot.pid,
      started_at: slot.started_at,
      state: slot.unhosted ? NO_HOST : slot.state,
      hosted: !slot.unhosted,
      bytes: await capturedBytes(tempDir, slot.username, slot.pid),
      ...lateness(manifest),
      coverage: manifest?.coverage ?? null,
      chat_messages: manifest ? await chatMessages(tempDir, manifest.base) : null,
      ...growingFile(manifest),
    });
  }
  // A recorder that has released its slot but still holds its channel lock is finalizing; one
  // adopted without a free slot captures without one.
  const withSlot = new Set(recordings.map((r) => r.user));
  for (const manifest of manifests) {
    if (withSlot.has(manifest.user)) continue;
    const hosted = await isUserHosted(paths.runtimeDir, manifest.user);
    if (!hosted && !(await isUserCapturing(paths.runtimeDir, manifest.user))) continue;
    recordings.push({
      slot: null,
      user: manifest.user,
      pid: manifest.pid,
      started_at: manifest.started_at,
      state: await slotlessState(paths.runtimeDir, manifest, hosted),
      hosted,
      bytes: await capturedBytes(tempDir, manifest.user, manifest.pid),
      ...lateness(manifest),
      coverage: manifest?.coverage ?? null,
      chat_messages: await chatMessages(tempDir, manifest.base),
      ...growingFile(manifest),
    });
  }
  const encoder = encoderView(await readDaemonState(paths.stateDir, "encoder"));
  return {
    recordings,
    record_limit: config.limits.recordLimit,
    poller: pollerView(await readDaemonState(paths.stateDir, "poller")),
    encoder,
    queue: await queueView(paths.queueDir, encoder.running),
    retention: await readRetentionState(paths.stateDir),
    notifications: await readOutboxView(paths.stateDir),
    uploads: {
      remote: config.upload.remote ?? null,
      ...await uploadView(paths.queueDir, await FileLock.isHeld(uploadLockPath(paths.queueDir))),
    },
  };
}

/**
 * What a channel-locked session without a slot does: capturing while its streamlink holds the
 * capture lock (adopted when no slot was free), else finalizing (the slot is released when
 * capture ends).
 */
async function slotlessState(
  runtimeDir: string,
  manifest: SessionManifest,
  hosted: boolean,
): Promise<string> {
  if (manifest.phase === "capturing" && await isSessionCaptureAlive(runtimeDir, manifest.base)) {
    return hosted ? "capturing" : NO_HOST;
  }
  return "finalizing";
}

/** The queue as `status` and `encode-daemon status` show it. */
export async function queueView(queueDir: string, encoderRunning: boolean): Promise<QueueView> {
  const queue = await listQueue(queueDir);
  const encoding = (job: QueuedJob) => encoderRunning && job.running === true;
  return {
    pending: queue.pending.filter((job) => !encoding(job)).map(jobView),
    encoding: queue.pending.filter(encoding).map(jobView),
    failed: queue.failed.map(jobView),
    invalid: queue.invalid,
    too_young: queue.too_young,
  };
}

/** The poller part of the snapshot; next poll and last launches only while it runs. */
export function pollerView(state: DaemonState<"poller">): PollerView {
  const status = state.status ?? {};
  const live = state.running;
  return {
    running: state.running,
    pid: state.pid,
    started_at: live ? status.started_at ?? null : null,
    last_poll: status.last_poll ?? null,
    next_poll: live ? status.next_poll ?? null : null,
    live: live ? status.live ?? [] : [],
    launched: live ? status.launched ?? [] : [],
    skipped: live ? status.skipped ?? [] : [],
    last_error: live ? status.last_error ?? null : null,
    detector: live ? status.detector ?? null : null,
    detector_error: status.detector_error ?? null,
    config: live ? status.config ?? null : null,
    renamed: status.renamed ?? [],
    status_unreadable: state.unreadable,
  };
}

/** The live file while it grows, from the session manifest. */
function growingFile(manifest: SessionManifest | undefined): Pick<RecordingView, "growing_file"> {
  return manifest?.live?.state === "running" ? { growing_file: manifest.live.file } : {};
}

/** When the broadcast started and how late its capture began, from the session manifest. */
function lateness(
  manifest: SessionManifest | undefined,
): Pick<RecordingView, "live_since" | "late_seconds"> {
  const liveSince = manifest?.live_since ?? null;
  const since = liveSince ? Date.parse(liveSince) : NaN;
  const first = manifest?.first_data_at ? Date.parse(manifest.first_data_at) : NaN;
  const late = Number.isFinite(since) && Number.isFinite(first)
    ? Math.round((first - since) / 100) / 10
    : null;
  return { live_since: liveSince, late_seconds: late };
}

/** The encoder part of the snapshot; its job and pause only while it runs. */
export function encoderView(state: DaemonState<"encoder">): EncoderView {
  const status = state.status ?? {};
  const live = state.running;
  return {
    running: state.running,
    pid: state.pid,
    state: live ? status.state ?? null : null,
    paused: live && status.paused === true,
    current_job: live ? status.current_job ?? null : null,
    config: live ? status.config ?? null : null,
    status_unreadable: state.unreadable,
  };
}

function jobView(job: QueuedJob): JobView {
  return {
    input: job.input,
    output: job.output,
    created_at: job.created_at,
    path: job.path,
    ...(job.running ? { running: true } : {}),
    ...(job.error ? { error: job.error } : {}),
    ...(job.note ? { note: job.note } : {}),
  };
}
