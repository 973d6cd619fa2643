/**
 * What the status page and `/metrics` show, read from the same files `status` reads: the
 * `status --json` object itself (so `/api/status` can never drift from the CLI), plus what
 * only the page needs: the watched channels, each recording's parts, the disk and the
 * finished recordings. Pure reading; the rates and counters that need two readings live in
 * `SnapshotCache`.
 */
import type { Config } from "../config/config.ts";
import { chatFileCount, journalMessageCount } from "../chat/chat_counts.ts";
import { readUsersFile } from "../poll/users_file.ts";
import { readDaemonState } from "../state/daemon_state.ts";
import {
  listFinishedRecordings,
  type RecordingEntry,
  type RemoteOnlyRecording,
} from "../state/recording_history.ts";
import { listSessionFiles } from "../state/session_folder.ts";
import { listManifests } from "../state/session_manifest.ts";
import { collectStatus, type StatusSnapshot } from "../state/status_snapshot.ts";
import { freeBytes } from "../util/disk_space.ts";

/** A channel of the users file as the page shows it. */
export interface ChannelView {
  readonly user: string;
  /** `recording` (a recorder holds it), `live`, `offline`, or `unknown` (no poller runs). */
  readonly state: "recording" | "live" | "offline" | "unknown";
  /** How late the current capture started after the broadcast did, when known. */
  readonly late_seconds: number | null;
}

/** Page-only details of an active recording (matched to `status.recordings` by user and pid). */
export interface RecordingDetail {
  readonly user: string;
  readonly pid: number;
  /** Part files of the session so far (a reconnect starts a new part). */
  readonly parts: number;
  /** Bytes per second since the previous reading; `null` on the first one. */
  readonly bytes_per_second: number | null;
}

/** Free space on the recordings' filesystem against the configured minimum. */
export interface DiskView {
  readonly path: string;
  readonly free_bytes: number | null;
  readonly min_free_bytes: number;
}

/** The poller's cycle counters (from its status file; kept out of `status --json`). */
export interface PollCycles {
  readonly cycles: number | null;
  readonly cycle_seconds: number | null;
}

/** Everything `/api/page` returns. */
export interface PageData {
  readonly generated_at: string;
  /** Exactly what `twitchtool status --json` prints. */
  readonly status: StatusSnapshot;
  readonly channels: ChannelView[];
  readonly details: RecordingDetail[];
  readonly disk: DiskView;
  readonly poll: PollCycles;
  /**
   * Finished recordings, newest first: in record_dir, and those uploaded and then deleted here
   * (with `remote_original`/`remote_compressed`, the paths they arrived at), as `history` lists.
   */
  readonly history: (RecordingEntry | RemoteOnlyRecording)[];
  /** What the serving process counted since it started. */
  readonly counters: WebCounters;
}

/** Prometheus counters: monotonic for the life of the serving process. */
export interface WebCounters {
  readonly recordings_finished: number;
  readonly recordings_failed: number;
  readonly bytes_written: number;
}

/** How many finished recordings the page and history picture show. */
export const HISTORY_LIMIT = 60;

/** One reading of every file behind the page, without history and counters. */
export async function readPageState(
  config: Config,
  now: number,
): Promise<Omit<PageData, "history" | "counters">> {
  const status = await collectStatus(config, journalMessageCount);
  const [channels, details, disk, poll] = await Promise.all([
    channelViews(config, status),
    recordingDetails(config, status),
    diskView(config),
    pollCycles(config),
  ]);
  return { generated_at: new Date(now).toISOString(), status, channels, details, disk, poll };
}

/** The newest finished recordings, for the history picture (those only the remote holds too). */
export function readHistory(config: Config): Promise<(RecordingEntry | RemoteOnlyRecording)[]> {
  return listFinishedRecordings(config.paths, HISTORY_LIMIT, chatFileCount);
}

async function channelViews(config: Config, status: StatusSnapshot): Promise<ChannelView[]> {
  const list = await readUsersFile(config.poller.usersFile).catch(() => undefined);
  const users = [...(list?.users ?? [])];
  for (const r of status.recordings) if (!users.includes(r.user)) users.push(r.user);
  return users.map((user) => {
    const recording = status.recordings.find((r) => r.user === user);
    const state = recording
      ? "recording"
      : status.poller.live.includes(user)
      ? "live"
      : status.poller.running
      ? "offline"
      : "unknown";
    return { user, state, late_seconds: recording?.late_seconds ?? null };
  });
}

async function recordingDetails(
  config: Config,
  status: StatusSnapshot,
): Promise<RecordingDetail[]> {
  const { tempDir } = config.paths;
  const manifests = await listManifests(tempDir);
  const { partsByBase } = await listSessionFiles(tempDir);
  return status.recordings.map((r) => {
    const manifest = manifests.find((m) => m.user === r.user && m.pid === r.pid);
    const parts = manifest ? partsByBase.get(manifest.base)?.length ?? 0 : 0;
    return { user: r.user, pid: r.pid, parts, bytes_per_second: null };
  });
}

async function diskView(config: Config): Promise<DiskView> {
  const path = config.paths.recordDir;
  const free = await freeBytes(path).catch(() => null);
  return { path, free_bytes: free, min_free_bytes: config.storage.diskFreeMinBytes };
}

async function pollCycles(config: Config): Promise<PollCycles> {
  const state = await readDaemonState(config.paths.stateDir, "poller");
  return {
    cycles: state.running ? state.status?.cycles ?? null : null,
    cycle_seconds: state.status?.cycle_seconds ?? null,
  };
}
