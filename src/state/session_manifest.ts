import { readJsonFile, removeIfExists, writeJsonAtomic } from "./atomic_write.ts";
import { listSessionFiles, manifestPath } from "./session_folder.ts";

/**
 * Where a session stands. Each phase is written before the step it guards, so recovery after
 * kill -9 knows exactly what is done: `capturing` (parts growing), `moving` (verified outputs
 * staged, targets chosen), `delivered` (outputs in the record dir; parts and job remain).
 */
export type SessionPhase = "capturing" | "moving" | "delivered";

/** A staged output and its planned name in the record dir. */
export interface ManifestDelivery {
  readonly staged: string;
  readonly target: string;
  readonly format: "mp4" | "mpegts";
}

/**
 * The streamlink writing a session's newest part (its liveness is the session's capture lock,
 * `state/capture_lock.ts`; the pid is for signalling it once adopted).
 */
export interface CaptureProcess {
  /** 0 in the entry written just before the spawn (so a kill right after it loses nothing). */
  readonly pid: number;
  /** Absolute path of the part it writes. */
  readonly part: string;
  /** The slot whose capture lock it holds (`slotN.capture`), for the adopter to take over. */
  readonly slot?: number;
}

/**
 * A hole in the media: broadcast missing from the file between two parts, where it falls and how
 * long (null: unknown). Measured on the media timeline, unlike the wall-clock breaks of
 * `info.json` (`chat/session_info.ts`) and the reconnect count of a notification.
 */
export interface MediaHole {
  /** Seconds into the recording where the missing stretch would be. */
  readonly at_seconds: number;
  /** Seconds missing; null when the timeline gives no measure (a new broadcast clock). */
  readonly seconds: number | null;
}

/**
 * What a finished recording holds of its broadcast: seconds captured live, seconds back-filled
 * from the VOD (`record/backfill_vod.ts`), seconds dropped because a later part repeated them,
 * and the holes left between parts. Written by finalize, shown by `status` and `history`.
 */
export interface RecordingCoverage {
  readonly captured_seconds: number;
  readonly backfilled_seconds: number;
  readonly repeats_dropped_seconds: number;
  /** The holes left in the file; `gaps` in the JSON that `history --json` prints (kept for scripts). */
  readonly gaps: readonly MediaHole[];
  /**
   * With `[record] live_remux`: `live` when the file written while recording was delivered,
   * `parts` when the parts were finalized instead (the fallback). Absent without live remux.
   */
  readonly delivered_by?: "live" | "parts";
}

/**
 * The deliverable written while recording (`[record] live_remux`, `record/live_remux.ts`):
 * `running` while it is fed, `closed` once ffmpeg ended it cleanly after the last part (only
 * then may it be delivered), `failed` when the parts must be finalized instead (`reason`).
 */
export interface LiveRemuxJournal {
  readonly file: string;
  readonly state: "running" | "closed" | "failed";
  readonly reason?: string;
  /** Packets ffmpeg read of each kind: what the file is verified against. */
  readonly packets?: { readonly video?: number; readonly audio?: number };
  /**
   * Where the live file is known to hold the recording up to; journaled before the parts'
   * prefix before it is freed, so every reader of the parts takes the live file for it.
   */
  readonly checkpoint?: LiveCheckpoint;
  /** Bytes of the parts freed in place so far. */
  readonly freed_bytes?: number;
}

/**
 * The live file's first `live_bytes` bytes (whole fragments) hold every frame fed before byte
 * `offset` of `part` (a keyframe's first packet; with fMP4 parts, the next fragment's start) and
 * nothing after; the parts' bytes before it may be freed (`record/live_checkpoint.ts`).
 */
export interface LiveCheckpoint {
  readonly part: string;
  readonly offset: number;
  readonly live_bytes: number;
  /**
   * fMP4 parts only: the seconds taken off every decode time in the live file
   * (`record/live_fmp4.ts`), so the parts after `offset` are moved by as much to follow it.
   */
  readonly shift_seconds?: number;
}

/** `<temp>/<base>.session.json`: who recorded what, which parts belong to it, how far it got. */
export interface SessionManifest {
  readonly user: string;
  readonly base: string;
  readonly pid: number;
  readonly started_at: string;
  readonly phase: SessionPhase;
  /** Parts holding data, in order (while capturing the newest may not be listed yet). */
  readonly parts: readonly string[];
  readonly enable_remux: boolean;
  readonly delete_ts_after_remux: boolean;
  readonly delete_input_on_success: boolean;
  /** The broadcast Twitch's API reported when the poller launched this recording. */
  readonly stream_id?: string;
  /** When that broadcast started, per the API (ISO 8601). */
  readonly live_since?: string;
  /** The broadcast's in-progress archive video (VOD) id, per the API: what back-fill fetches. */
  readonly vod_id?: string;
  /** When stream data first flowed: minus `live_since`, how late the capture started. */
  readonly first_data_at?: string;
  /**
   * `poller`: hosted inside the poller with a detached streamlink, so a restarted poller
   * adopts the session instead of finishing it. Absent for `record` processes.
   */
  readonly host?: "poller";
  /** The streamlink writing the newest part, written when it starts (`pid` is the host's). */
  readonly capture?: CaptureProcess;
  /**
   * When capturing ended for good (stopped, retry window over, low disk): from then on the
   * session is only finalized, never adopted to capture more.
   */
  readonly capture_ended_at?: string;
  /** From `moving` on: the outputs and where they go. */
  readonly deliveries?: readonly ManifestDelivery[];
  /** From `delivered` on: the final paths; the first is the deliverable. */
  readonly delivered?: readonly string[];
  readonly duration?: number;
  /** Why the deliverable is not the verified file asked for; carried into the encode job. */
  readonly fallback_reason?: string;
  /**
   * Back-fill done (`[twitch] backfill`): seconds spliced in from the VOD (its parts are listed
   * in `parts`) and why anything was not filled; written before staging, so it runs once.
   */
  readonly backfill?: { readonly seconds: number; readonly note?: string };
  /** From `moving` on: what the deliverable holds of the broadcast. */
  readonly coverage?: RecordingCoverage;
  /** The file written while recording, when `[record] live_remux` is on. */
  readonly live?: LiveRemuxJournal;
}

/** Writes the manifest atomically (a crash leaves the previous complete version). */
export function writeManifest(tempDir: string, manifest: SessionManifest): Promise<void> {
  return writeJsonAtomic(manifestPath(tempDir, manifest.base), manifest);
}

/** Reads a manifest; `undefined` when missing or not a manifest. */
export async function readManifest(path: string): Promise<SessionManifest | undefined> {
  try {
    const value = await readJsonFile(path) as Partial<SessionManifest> | undefined;
    if (!value || typeof value.base !== "string" || typeof value.user !== "string") {
      return undefined;
    }
    return value as SessionManifest;
  } catch {
    return undefined;
  }
}

/** Every readable manifest in `tempDir` (none when the folder does not exist). */
export async function listManifests(tempDir: string): Promise<SessionManifest[]> {
  const manifests: SessionManifest[] = [];
  for (const path of (await listSessionFiles(tempDir)).manifests) {
    const manifest = await readManifest(path);
    if (manifest) manifests.push(manifest);
  }
  return manifests;
}

/** Removes the manifest once the session's deliverables and job exist. */
export async function removeManifest(tempDir: string, base: string): Promise<void> {
  await removeIfExists(manifestPath(tempDir, base));
}
