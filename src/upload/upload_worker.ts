/**
 * The worker that empties the upload queue, oldest file first: copy with `rclone copyto`
 * (progress into the status file), verify size and hash, record the arrival, and only then
 * delete the local copy (`delete_local`). Transient failures retry the same file with back-off
 * for as long as it takes; a permanent one (credentials, a missing or full remote) stops the
 * queue with one line in the log, the status and a notification, and is tried again after
 * {@link UploadWorkerOptions.stoppedRetryMs} or at the next start. Only the holder of the
 * queue's worker lock runs this (run_uploads.ts).
 */
import { getLogger } from "@logtape/logtape";
import { basename } from "node:path";
import { notify } from "../notify/notify.ts";
import { removeIfExists, statOrUndefined } from "../state/atomic_write.ts";
import { listQueue } from "../state/job_queue.ts";
import {
  dropUpload,
  listPendingUploads,
  markLocalDeleted,
  type PendingUpload,
  readUploaded,
  settleUpload,
  type UploadStatus,
} from "../state/upload_queue.ts";
import { type CopyCheck, copyCheckOf } from "./copy_check.ts";
import { copyArgs } from "./rclone_args.ts";
import { rcloneFailure } from "./rclone_failure.ts";
import type { RunRclone } from "./run_rclone.ts";
import { remoteFile, type UploadSettings } from "./upload_settings.ts";
import { remoteHashType, verifyArrival } from "./verify_arrival.ts";

const log = getLogger(["twitchtool", "upload"]);

/** Timing of the worker (tests shorten it). */
export interface UploadWorkerOptions {
  readonly queueDir: string;
  /** Return once the queue is empty, or stopped by a permanent failure (`upload run`). */
  readonly untilEmpty: boolean;
  readonly idleMs?: number;
  readonly firstRetryMs?: number;
  readonly maxRetryMs?: number;
  readonly stoppedRetryMs?: number;
}

/** The outside world of the worker. */
export interface UploadWorkerDeps {
  readonly run: RunRclone;
  /** The lock a copy holds (see run_rclone.ts). */
  readonly transferLock: string;
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly writeStatus: (status: UploadStatus) => Promise<void>;
  readonly now?: () => Date;
  /**
   * Events of the queue's `pending/` folder: an idle worker starts a newly queued file at once
   * instead of at its next look ({@link UploadWorkerOptions.idleMs}).
   */
  readonly queueChanges?: (signal: AbortSignal) => AsyncIterable<unknown>;
}

/** How a run of the worker ended. */
export type UploadRunEnd = "empty" | "stopped" | "aborted";

/** A failed attempt: permanent ones stop the queue. */
type Failed = { readonly kind: "failed"; readonly permanent: boolean; readonly reason: string };

/** What one attempt at one file came to. */
type Attempt = { readonly kind: "done" | "gone" } | Failed;

/** Works the queue until it is empty (`untilEmpty`), stopped, or `signal` aborts. */
export class UploadWorker {
  #failedTotal = 0;
  #failures = 0;
  #lastStop: string | undefined;
  /** Ends the idle wait early (a change in the queue). */
  #wake: () => void = () => {};
  /** The queue changed since the worker last looked: do not sleep. */
  #changed = false;
  /** The remote's hash for the check (null: none, undefined: rclone could not say). */
  #hashType: Promise<string | null | undefined> | undefined;

  constructor(
    private readonly settings: UploadSettings,
    private readonly options: UploadWorkerOptions,
    private readonly deps: UploadWorkerDeps,
  ) {}

  /** The loop: one file at a time, oldest first. */
  async run(signal: AbortSignal, failedTotal = 0): Promise<UploadRunEnd> {
    this.#failedTotal = failedTotal;
    const watching = new AbortController();
    const stopWatching = () => watching.abort();
    signal.addEventListener("abort", stopWatching, { once: true });
    const watcher = this.options.untilEmpty ? undefined : this.#watchQueue(watching.signal);
    try {
      return await this.#loop(signal);
    } finally {
      watching.abort();
      signal.removeEventListener("abort", stopWatching);
      await watcher;
    }
  }

  async #loop(signal: AbortSignal): Promise<UploadRunEnd> {
    while (!signal.aborted) {
      this.#changed = false;
      const [item] = await listPendingUploads(this.options.queueDir);
      if (!item) {
        await this.#status({ state: "idle" });
        if (this.options.untilEmpty) return "empty";
        await this.#idle(this.options.idleMs ?? 15_000, signal);
        continue;
      }
      const attempt = await this.#attempt(item, signal);
      if (signal.aborted) break;
      if (attempt.kind !== "failed") {
        this.#failures = 0;
        this.#lastStop = undefined;
        continue;
      }
      this.#failedTotal++;
      if (attempt.permanent) {
        const end = await this.#stop(item, attempt.reason, signal);
        if (end) return end;
      } else {
        await this.#retryLater(item, attempt.reason, signal);
      }
    }
    await this.#status({ state: "idle" });
    return "aborted";
  }

  /** Sleeps `ms`, or less when the queue changes (also when it changed since the last look). */
  async #idle(ms: number, signal: AbortSignal): Promise<void> {
    if (this.#changed) return;
    const waking = new AbortController();
    const stop = () => waking.abort();
    signal.addEventListener("abort", stop, { once: true });
    this.#wake = stop;
    try {
      await this.deps.sleep(ms, waking.signal);
    } finally {
      this.#wake = () => {};
      signal.removeEventListener("abort", stop);
    }
  }

  /** Wakes the idle loop on each change of the queue; a watch that fails leaves the polling. */
  async #watchQueue(signal: AbortSignal): Promise<void> {
    if (!this.deps.queueChanges) return;
    try {
      for await (const _change of this.deps.queueChanges(signal)) {
        this.#changed = true;
        this.#wake();
      }
    } catch (error) {
      if (!signal.aborted) {
        log.warn("Cannot watch the upload queue ({error}); looking every few seconds", {
          error: String(error),
        });
      }
    }
  }

  /** Uploads, verifies and settles one file. */
  async #attempt(item: PendingUpload, signal: AbortSignal): Promise<Attempt> {
    const info = await statOrUndefined(item.local);
    if (!info?.isFile) {
      const uploaded = await readUploaded(this.options.queueDir, item.local);
      if (!uploaded) log.warn("Not uploaded {file}: it is gone", { file: item.local });
      await dropUpload(item);
      return { kind: "gone" };
    }
    const remote = remoteFile(this.settings.remote, item.dest);
    const hashType = this.#remoteHashType();
    const copy = await this.#copy(item, remote, info.size, signal);
    if (copy.kind === "failed") return copy;
    const supported = copy.check ? undefined : await hashType;
    const arrival = await verifyArrival(
      this.deps.run,
      this.settings,
      item.local,
      remote,
      info.size,
      {
        copied: copy.check,
        ...(supported === undefined ? {} : { hashType: supported }),
      },
    );
    if (!arrival.ok) {
      return { kind: "failed", permanent: arrival.permanent, reason: arrival.reason };
    }
    // The arrival is recorded before the local copy goes: a crash in between leaves a file
    // known to be uploaded (retention deletes those first), never one gone without a record.
    const record = {
      local: item.local,
      remote,
      bytes: info.size,
      checked: arrival.checked,
      uploaded_at: this.#now().toISOString(),
      local_deleted: false,
    };
    await settleUpload(this.options.queueDir, item, record);
    const deleted = this.settings.deleteLocal && !(await this.#encodeInput(item.local)) &&
      await removeIfExists(item.local);
    if (deleted) await markLocalDeleted(this.options.queueDir, record);
    log.info("Uploaded {file} to {remote} ({checked}, remote hash by {by})", {
      file: item.local,
      remote,
      checked: arrival.checked.split(":")[0],
      by: arrival.by,
    });
    notify({
      event: "upload_finished",
      file: item.local,
      remote,
      bytes: info.size,
      local_deleted: deleted,
    });
    return { kind: "done" };
  }

  /**
   * The hash the remote supports, asked during the first copy (it is needed only when a copy
   * checks none) and then once per worker: the remote's backend does not change while it runs.
   * Asked again when rclone could not say.
   */
  #remoteHashType(): Promise<string | null | undefined> {
    this.#hashType ??= remoteHashType(this.deps.run, this.settings, this.settings.remote)
      .catch(() => undefined)
      .then((type) => {
        if (type === undefined) this.#hashType = undefined;
        return type;
      });
    return this.#hashType;
  }

  /**
   * Runs `rclone copyto`; a failure as an {@link Attempt}, else `copied` with rclone's own hash
   * check of the copy when it logged one.
   */
  async #copy(
    item: PendingUpload,
    remote: string,
    total: number,
    signal: AbortSignal,
  ): Promise<Failed | { readonly kind: "copied"; readonly check: CopyCheck | undefined }> {
    const current = { local: item.local, bytes: 0, total, speed: 0 };
    await this.#status({ state: "uploading", current });
    let writing = Promise.resolve();
    let check: CopyCheck | undefined;
    const result = await this.deps.run(copyArgs(this.settings, item.local, remote), {
      signal,
      lock: this.deps.transferLock,
      onStderr: (line) => {
        // Only a check of this file (copyto copies one; its log names it by its base name).
        const logged = copyCheckOf(line);
        if (logged?.object === basename(item.local)) check = logged;
        const stats = progressOf(line);
        if (!stats) return;
        const next = { ...current, bytes: stats.bytes, speed: stats.speed };
        writing = writing.then(() => this.#status({ state: "uploading", current: next }));
      },
    });
    await writing;
    if (signal.aborted) return { kind: "failed", permanent: false, reason: "Stopped" };
    if (result.code === 0) return { kind: "copied", check };
    const failure = rcloneFailure(result.stderr, result.code);
    // `flock -w` gave up: the rclone of a worker killed mid-copy still holds the transfer lock.
    const reason = result.stderr.trim() === "" && result.code === 1
      ? "An earlier rclone of this queue is still copying; waiting for it"
      : failure.reason;
    return { kind: "failed", permanent: failure.permanent, reason };
  }

  /** A file the encoder still has to read stays until its encode is done (encode_daemon.ts). */
  async #encodeInput(local: string): Promise<boolean> {
    const queue = await listQueue(this.options.queueDir);
    return queue.pending.some((job) => job.input === local);
  }

  async #retryLater(item: PendingUpload, reason: string, signal: AbortSignal): Promise<void> {
    const first = this.options.firstRetryMs ?? 5_000;
    const delay = Math.min(first * 2 ** this.#failures, this.options.maxRetryMs ?? 300_000);
    this.#failures++;
    log.warn("Upload of {file} failed, retrying in {seconds} s: {reason}", {
      file: item.local,
      seconds: Math.round(delay / 1000),
      reason,
    });
    await this.#status({ state: "retrying", error: reason, retry_at: this.#at(delay) });
    await this.deps.sleep(delay, signal);
  }

  /** The queue stops: one line (logged and notified once per reason). */
  async #stop(
    item: PendingUpload,
    reason: string,
    signal: AbortSignal,
  ): Promise<UploadRunEnd | undefined> {
    const delay = this.options.stoppedRetryMs ?? 600_000;
    if (this.#lastStop !== reason) {
      log.error("Uploads stopped: {reason}", { reason });
      notify({ event: "upload_failed", file: item.local, reason, stopped: true });
      this.#lastStop = reason;
    }
    await this.#status({
      state: "stopped",
      error: reason,
      ...(this.options.untilEmpty ? {} : { retry_at: this.#at(delay) }),
    });
    if (this.options.untilEmpty) return "stopped";
    await this.deps.sleep(delay, signal);
    return undefined;
  }

  #status(fields: Omit<UploadStatus, "pid" | "updated_at" | "failed_total">): Promise<void> {
    return this.deps.writeStatus({
      pid: Deno.pid,
      updated_at: this.#now().toISOString(),
      failed_total: this.#failedTotal,
      ...fields,
    });
  }

  #now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  #at(delayMs: number): string {
    return new Date(this.#now().getTime() + delayMs).toISOString();
  }
}

/** Bytes done and speed from one `--use-json-log --stats` line of rclone, if it is one. */
export function progressOf(line: string): { bytes: number; speed: number } | undefined {
  if (!line.startsWith("{") || !line.includes('"stats"')) return undefined;
  try {
    const stats = (JSON.parse(line) as { stats?: { bytes?: unknown; speed?: unknown } }).stats;
    if (typeof stats?.bytes !== "number") return undefined;
    return { bytes: stats.bytes, speed: typeof stats.speed === "number" ? stats.speed : 0 };
  } catch {
    return undefined;
  }
}
