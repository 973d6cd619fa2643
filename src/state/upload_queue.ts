/**
 * The upload queue: which delivered files still have to reach the rclone remote, which did, and
 * what the uploader is doing. Everything under `<queue_dir>/uploads/` is written here.
 *
 * Layout:
 * - `pending/<key>.json`: a file to upload. The key is a hash of the local path, so queueing a
 *   file twice (a session finished again after kill -9) leaves one item.
 * - `uploaded/<key>.json`: a file that arrived and was verified (size and hash), kept for
 *   `history` and retention ("uploaded files go first").
 * - `worker.lock`: held by the one process working the queue (`poller run` or `upload run`).
 *   The kernel drops it when that process dies, kill -9 included; an item stays under `pending/`
 *   until it is verified, so a file cut off mid-upload is sent again, whole, by the next worker.
 * - `status.json`: the worker's progress and the reason the queue stopped, for `status`.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { isJsonObject } from "../util/is_json_object.ts";
import {
  ensurePrivateDir,
  listNames,
  readJsonFile,
  removeIfExists,
  statOrUndefined,
  syncDirectory,
  writeJsonAtomic,
} from "./atomic_write.ts";

/** A file waiting to be uploaded. */
export interface UploadItem {
  /** Absolute local path. */
  readonly local: string;
  /** Path under `[upload] remote` (from `path_template`, fixed when queued). */
  readonly dest: string;
  readonly user: string;
  /** `recording`, `compressed`, `chat` or `info`. */
  readonly kind: string;
  /** ISO 8601; uploads run oldest first. */
  readonly queued_at: string;
}

/** A file that arrived and was verified. */
export interface UploadedRecord {
  readonly local: string;
  /** `remote:path` it arrived at. */
  readonly remote: string;
  readonly bytes: number;
  /** `<type>:<hex>` compared after the copy (`size` when the remote had none to offer). */
  readonly checked: string;
  readonly uploaded_at: string;
  readonly local_deleted: boolean;
}

/** What the worker is doing, as `status` shows it. */
export interface UploadStatus {
  readonly pid: number;
  readonly state: "idle" | "uploading" | "retrying" | "stopped";
  readonly updated_at: string;
  readonly current?: {
    readonly local: string;
    readonly bytes: number;
    readonly total: number;
    readonly speed: number;
  };
  /** The last error (transient while `retrying`, permanent while `stopped`), one line. */
  readonly error?: string;
  /** When the next attempt is due while retrying or stopped. */
  readonly retry_at?: string;
  /** Upload attempts that failed, ever (`twitchtool_uploads_failed_total`). */
  readonly failed_total: number;
}

/** A pending item with where its file is. */
export type PendingUpload = UploadItem & { readonly path: string };

/** The queue's folder. */
export function uploadsDir(queueDir: string): string {
  return join(queueDir, "uploads");
}

/** The folder of pending items: the worker watches it to start a newly queued file at once. */
export function pendingUploadsDir(queueDir: string): string {
  return join(uploadsDir(queueDir), "pending");
}

/** The lock the worker holds while it works the queue. */
export function uploadLockPath(queueDir: string): string {
  return join(uploadsDir(queueDir), "worker.lock");
}

/** The stable key of a local file: queueing it again finds the same item. */
export function uploadKey(local: string): string {
  return createHash("sha256").update(local).digest("hex").slice(0, 32);
}

/** Queues `item` unless it is queued already or uploaded; returns whether it was queued now. */
export async function enqueueUpload(queueDir: string, item: UploadItem): Promise<boolean> {
  const key = uploadKey(item.local);
  const dir = pendingUploadsDir(queueDir);
  const path = join(dir, `${key}.json`);
  if (await statOrUndefined(path)) return false;
  if (await readUploaded(queueDir, item.local)) return false;
  await ensurePrivateDir(dir);
  await writeJsonAtomic(path, item);
  return true;
}

/** Pending items, oldest first; unreadable files are skipped (a half-written one is never seen). */
export async function listPendingUploads(queueDir: string): Promise<PendingUpload[]> {
  const dir = pendingUploadsDir(queueDir);
  const items: PendingUpload[] = [];
  for (const name of await listNames(dir)) {
    if (!name.endsWith(".json") || name.startsWith(".")) continue;
    const path = join(dir, name);
    const value = await readJsonFile(path).catch(() => undefined);
    if (!isJsonObject(value)) continue;
    const { local, dest, user, kind, queued_at } = value;
    if ([local, dest, user, kind, queued_at].some((field) => typeof field !== "string")) continue;
    items.push({ ...(value as unknown as UploadItem), path });
  }
  return items.sort((a, b) =>
    a.queued_at < b.queued_at ? -1 : a.queued_at > b.queued_at ? 1 : a.path < b.path ? -1 : 1
  );
}

/** Records `record` as uploaded, then drops its pending item (in that order: a crash between re-checks it). */
export async function settleUpload(
  queueDir: string,
  item: PendingUpload,
  record: UploadedRecord,
): Promise<void> {
  const dir = join(uploadsDir(queueDir), "uploaded");
  await ensurePrivateDir(dir);
  await writeJsonAtomic(join(dir, `${uploadKey(item.local)}.json`), record);
  await removeIfExists(item.path);
  await syncDirectory(pendingUploadsDir(queueDir));
}

/** Drops a pending item without an upload (its file is gone). */
export async function dropUpload(item: PendingUpload): Promise<void> {
  await removeIfExists(item.path);
}

/** The record of `local`'s verified upload, if it has one. */
export async function readUploaded(
  queueDir: string,
  local: string,
): Promise<UploadedRecord | undefined> {
  const path = join(uploadsDir(queueDir), "uploaded", `${uploadKey(local)}.json`);
  const value = await readJsonFile(path).catch(() => undefined);
  return isJsonObject(value) && value.local === local
    ? value as unknown as UploadedRecord
    : undefined;
}

/** Whether `local` is queued for upload and has not arrived yet. */
export async function isUploadPending(queueDir: string, local: string): Promise<boolean> {
  const path = join(pendingUploadsDir(queueDir), `${uploadKey(local)}.json`);
  return (await statOrUndefined(path)) !== undefined;
}

/** Writes the worker's status (atomically, so `status` never reads half of it). */
export async function writeUploadStatus(queueDir: string, status: UploadStatus): Promise<void> {
  await ensurePrivateDir(uploadsDir(queueDir));
  await writeJsonAtomic(join(uploadsDir(queueDir), "status.json"), status);
}

/** The worker's last status, if one was written. */
export async function readUploadStatus(queueDir: string): Promise<UploadStatus | undefined> {
  const value = await readJsonFile(join(uploadsDir(queueDir), "status.json")).catch(() =>
    undefined
  );
  return isJsonObject(value) && typeof value.state === "string"
    ? value as unknown as UploadStatus
    : undefined;
}

/** The queue as `status`, `upload status`, the page and `/metrics` show it. */
export interface UploadView {
  /** Whether a process holds the worker lock (`poller run` or `upload run`). */
  readonly worker_running: boolean;
  /** The worker's state; "not running" when no worker holds the lock. */
  readonly state: UploadStatus["state"] | "not running";
  readonly pending_files: number;
  readonly pending_bytes: number;
  readonly failed_total: number;
  readonly current?: UploadStatus["current"];
  readonly error?: string;
  readonly retry_at?: string;
  /** Oldest first, with each file's size (0 when it is gone). */
  readonly pending: readonly {
    readonly local: string;
    readonly dest: string;
    readonly bytes: number;
  }[];
}

/** Reads the queue and the worker's status without changing anything. */
export async function uploadView(queueDir: string, workerRunning: boolean): Promise<UploadView> {
  const pending = await Promise.all(
    (await listPendingUploads(queueDir)).map(async (item) => ({
      local: item.local,
      dest: item.dest,
      bytes: (await statOrUndefined(item.local))?.size ?? 0,
    })),
  );
  const status = await readUploadStatus(queueDir);
  const live = workerRunning && status !== undefined;
  return {
    worker_running: workerRunning,
    // A queue stopped by a permanent failure stays stopped after its worker exited.
    state: live ? status.state : status?.state === "stopped" ? "stopped" : "not running",
    pending_files: pending.length,
    pending_bytes: pending.reduce((sum, item) => sum + item.bytes, 0),
    failed_total: status?.failed_total ?? 0,
    ...(live && status.current ? { current: status.current } : {}),
    ...(status?.error && status.state !== "idle" && status.state !== "uploading"
      ? { error: status.error }
      : {}),
    ...(live && status.retry_at ? { retry_at: status.retry_at } : {}),
    pending,
  };
}

/** Notes in `record` that its local copy is gone now (deleted after its encode). */
export async function markLocalDeleted(queueDir: string, record: UploadedRecord): Promise<void> {
  const path = join(uploadsDir(queueDir), "uploaded", `${uploadKey(record.local)}.json`);
  await writeJsonAtomic(path, { ...record, local_deleted: true });
}
