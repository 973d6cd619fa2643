/**
 * The upload worker wired to the real world: the queue's worker lock (one worker per queue, so
 * `poller run` and `upload run` never upload one file twice), real rclone and the status file.
 */
import { getLogger } from "@logtape/logtape";
import { join } from "node:path";
import type { Config } from "../config/config.ts";
import { AlreadyRunningError, ExitCode, TwitchtoolError } from "../errors.ts";
import { ensurePrivateDir } from "../state/atomic_write.ts";
import { FileLock } from "../state/file_lock.ts";
import {
  pendingUploadsDir,
  readUploadStatus,
  uploadLockPath,
  uploadsDir,
  writeUploadStatus,
} from "../state/upload_queue.ts";
import { systemClock } from "../util/clock.ts";
import { watchDirectory } from "../util/watch_directory.ts";
import { type RunRclone, runRclone } from "./run_rclone.ts";
import { uploadSettings } from "./upload_settings.ts";
import { type UploadRunEnd, UploadWorker, type UploadWorkerOptions } from "./upload_worker.ts";

const log = getLogger(["twitchtool", "upload"]);

/** Test hooks and timings for {@link workUploads}. */
export type WorkUploadsOptions = Partial<Omit<UploadWorkerOptions, "queueDir">> & {
  readonly run?: RunRclone;
};

/**
 * Works the queue until `signal` aborts (or, with `untilEmpty`, until it is empty or stopped).
 * Returns "busy" at once when another process holds the worker lock, "off" without uploads.
 */
export async function workUploads(
  config: Config,
  signal: AbortSignal,
  options: WorkUploadsOptions = {},
): Promise<UploadRunEnd | "busy" | "off"> {
  const settings = uploadSettings(config);
  if (!settings) return "off";
  const queueDir = config.paths.queueDir;
  await ensurePrivateDir(uploadsDir(queueDir));
  const lock = await FileLock.tryAcquire(uploadLockPath(queueDir));
  if (!lock) return "busy";
  try {
    // Watched for new items, so it must exist before the first file is queued.
    await ensurePrivateDir(pendingUploadsDir(queueDir));
    const worker = new UploadWorker(settings, { untilEmpty: false, ...options, queueDir }, {
      run: options.run ?? runRclone,
      transferLock: join(uploadsDir(queueDir), "transfer.lock"),
      sleep: systemClock.sleep,
      writeStatus: (status) => writeUploadStatus(queueDir, status),
      queueChanges: (signal) => watchDirectory(pendingUploadsDir(queueDir), signal),
    });
    const before = await readUploadStatus(queueDir);
    return await worker.run(signal, before?.failed_total ?? 0);
  } finally {
    lock.release();
  }
}

/**
 * The poller's uploads: works the queue for as long as the poller runs; while another process
 * (an `upload run`) holds the worker lock, looks again every minute.
 */
export async function uploadLoop(config: Config, signal: AbortSignal): Promise<void> {
  if (!uploadSettings(config)) return;
  while (!signal.aborted) {
    try {
      const end = await workUploads(config, signal);
      if (end !== "busy") return;
    } catch (error) {
      log.error("Upload worker failed: {error}", { error: (error as Error).message });
    }
    await systemClock.sleep(60_000, signal);
  }
}

/**
 * `twitchtool upload run`: works the queue until every file arrived. Exit 3 while another
 * process works it, 1 when a permanent failure stopped it, 2 without `[upload] remote`.
 */
export async function runUploadsOnce(
  config: Config,
  signal: AbortSignal,
  options: WorkUploadsOptions = {},
): Promise<UploadRunEnd> {
  const end = await workUploads(config, signal, { ...options, untilEmpty: true });
  if (end === "off") {
    throw new TwitchtoolError(
      'Uploads are off: set "upload.remote" to an rclone remote (see docs/uploads.md)',
      ExitCode.Usage,
    );
  }
  if (end === "busy") {
    throw new AlreadyRunningError(
      `Another process is working the upload queue in "${uploadsDir(config.paths.queueDir)}"`,
    );
  }
  if (end === "stopped") {
    const status = await readUploadStatus(config.paths.queueDir);
    throw new TwitchtoolError(
      `Uploads stopped: ${status?.error ?? "see the log"}`,
      ExitCode.Failure,
    );
  }
  return end;
}
