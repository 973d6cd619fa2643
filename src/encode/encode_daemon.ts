/**
 * The encoder loop: take the oldest job, encode it at low priority (paused while recordings
 * capture), install the result, settle the job, repeat. Everything it touches comes in as a
 * parameter (clock, transcoder, free-space probe, status writer, pause controller), so unit
 * tests drive it without ffmpeg or real time; `serve_encoder.ts` wires the real ones.
 */
import { notify } from "../notify/notify.ts";
import { notifyEncodeFinished, notifyEncoderLowDisk } from "../notify/session_events.ts";
import { getLogger } from "@logtape/logtape";
import { dirname } from "node:path";
import { LowDiskError } from "../errors.ts";
import { encodeArgs, type LowPriorityTools } from "../proc/ffmpeg_args.ts";
import { failpoint } from "../proc/failpoint.ts";
import {
  ensurePrivateDir,
  isSameFile,
  pathExists,
  removeIfExists,
  statOrUndefined,
} from "../state/atomic_write.ts";
import {
  type ClaimedJob,
  completeJob,
  countPendingJobs,
  type EncodeJob,
  failJob,
  jobsDir,
  journalEncodedOutput,
  purgeFailedJobs,
  recoverClaimedJobs,
  releaseJob,
  stampOf,
  takeNextJob,
} from "../state/job_queue.ts";
import type { CurrentJobStatus, EncoderState, EncoderStatus } from "../state/daemon_status.ts";
import type { Clock } from "../util/clock.ts";
import { freeSpaceShortfall, isNoSpaceError, NO_SPACE } from "../util/disk_space.ts";
import type { EncodeSettings } from "./encode_settings.ts";
import type { PauseController } from "./pause_controller.ts";
import type { ProgressSnapshot } from "./progress_parser.ts";
import { ProgressLog } from "./progress_log.ts";
import {
  partialPath,
  type Prober,
  type TranscodeOptions,
  type TranscodeRequest,
  type TranscodeResult,
} from "./transcode_file.ts";

const log = getLogger(["twitchtool", "encode"]);

/** Settings of the loop. */
export interface EncodeDaemonOptions {
  readonly queueDir: string;
  readonly settings: EncodeSettings;
  readonly diskFreeMinBytes: number;
  /** Return once no job is left instead of waiting for more (`--exit-when-empty`). */
  readonly exitWhenEmpty: boolean;
  /** How long an idle daemon waits before looking again (a queue change wakes it sooner). */
  readonly idlePollMs?: number;
  readonly lowDiskRetryMs?: number;
  /** How often the status file is rewritten while encoding. */
  readonly statusEveryMs?: number;
}

/** The collaborators of the loop. */
export interface EncodeDaemonDeps {
  readonly clock: Clock;
  readonly writeStatus: (status: EncoderStatus) => Promise<void>;
  readonly transcode: (
    request: TranscodeRequest,
    options: TranscodeOptions,
  ) => Promise<TranscodeResult>;
  readonly pause: PauseController;
  readonly lowPriority: LowPriorityTools;
  readonly freeBytes: (path: string) => Promise<number>;
  readonly probe?: Prober;
  /** Yields when `jobs/` changes, so an idle daemon starts a new job at once. */
  readonly queueChanges?: (signal: AbortSignal) => AsyncIterable<unknown>;
  /**
   * Called once an output is installed (before the job is settled, so a crash calls it again:
   * it must be safe to repeat). Queues the output for upload (src/upload/after_encode.ts).
   */
  readonly onEncoded?: (input: string, output: string) => Promise<void>;
  /**
   * The encode settings in force before each job: re-reads config.toml when it changed
   * (`config/config_watch.ts`), so a job started after an edit uses it; absent: `settings`.
   */
  readonly currentSettings?: () => Promise<EncodeSettings>;
}

/** What a run did, for `--exit-when-empty`'s exit code. */
export interface EncodeDaemonSummary {
  done: number;
  failed: number;
  /** Unreadable job files moved aside (`*.invalid.json`). */
  invalid: number;
}

const HOUR_MS = 3600_000;
const IDLE_HEARTBEAT_MS = 30_000;

/** One encoder: call {@link EncodeDaemon.run} once. */
export class EncodeDaemon {
  private readonly startedAt: string;
  private current: CurrentJobStatus | null = null;
  private lowDisk = false;
  private queueLength = 0;
  private wake: () => void = () => {};
  private lastStatus = "";
  private lastWrite = -Infinity;

  constructor(
    private readonly options: EncodeDaemonOptions,
    private readonly deps: EncodeDaemonDeps,
  ) {
    this.startedAt = new Date(deps.clock.now()).toISOString();
  }

  /**
   * Runs until `signal` aborts (or, with `exitWhenEmpty`, until the queue is empty). A job being
   * encoded at shutdown goes back to the queue. Throws {@link LowDiskError} only with
   * `exitWhenEmpty`, where waiting for space would never end on its own.
   */
  async run(signal: AbortSignal): Promise<EncodeDaemonSummary> {
    const inner = new AbortController();
    const stopInner = () => inner.abort();
    signal.addEventListener("abort", stopInner, { once: true });
    const summary: EncodeDaemonSummary = { done: 0, failed: 0, invalid: 0 };
    await ensurePrivateDir(jobsDir(this.options.queueDir));
    const background = [this.deps.pause.run(inner.signal), this.watchQueue(inner.signal)];
    try {
      await this.recover();
      await this.loop(signal, summary);
    } finally {
      inner.abort();
      signal.removeEventListener("abort", stopInner);
      await Promise.allSettled(background);
      this.current = null;
      this.lowDisk = false;
      await this.publish();
    }
    return summary;
  }

  private async loop(signal: AbortSignal, summary: EncodeDaemonSummary): Promise<void> {
    const clock = this.deps.clock;
    let lastPurge = -Infinity;
    let errorDelay = this.options.idlePollMs ?? 2000;
    while (!signal.aborted) {
      try {
        if (clock.now() - lastPurge >= HOUR_MS) {
          lastPurge = clock.now();
          for (const path of await purgeFailedJobs(this.options.queueDir, new Date(clock.now()))) {
            log.info("Removed failed job {path}: older than 7 days", { path });
          }
        }
        const claim = await takeNextJob(this.options.queueDir, {
          now: new Date(clock.now()),
          onInvalid: ({ path, movedTo, reason }) => {
            summary.invalid++;
            log.error("Moved unreadable job {path} aside to {movedTo}: {reason}", {
              path,
              movedTo,
              reason,
            });
          },
        });
        this.queueLength = await countPendingJobs(this.options.queueDir);
        if (!claim) {
          this.lowDisk = false;
          await this.publish();
          if (this.options.exitWhenEmpty) return;
          await this.idle(this.options.idlePollMs ?? 2000, signal);
          continue;
        }
        await this.runJob(claim, signal, summary);
        errorDelay = this.options.idlePollMs ?? 2000;
      } catch (error) {
        if (error instanceof LowDiskError || this.options.exitWhenEmpty) throw error;
        log.error("Encoder step failed, retrying in {seconds} s: {error}", {
          seconds: Math.round(errorDelay / 1000),
          error: String(error),
        });
        await clock.sleep(errorDelay, signal);
        errorDelay = Math.min(errorDelay * 2, 60_000);
      }
    }
  }

  /** Puts jobs a killed encoder had claimed back in the queue and removes its partial output. */
  private async recover(): Promise<void> {
    for (const job of await recoverClaimedJobs(this.options.queueDir)) {
      const partial = partialPath(job.output);
      const removed = await removeIfExists(partial);
      log.warn("Re-queued {job}, interrupted by an earlier encoder{detail}", {
        job: job.path,
        detail: removed ? `; removed partial output ${partial}` : "",
      });
    }
  }

  private async runJob(
    claim: ClaimedJob,
    signal: AbortSignal,
    summary: EncodeDaemonSummary,
  ): Promise<void> {
    const { job } = claim;
    let settled = false;
    try {
      if (await isOwnOutput(job)) {
        // An earlier run installed it and died before settling the job (input maybe deleted).
        log.info("Output {output} was installed by an earlier run of this job: completing it", {
          output: job.output,
        });
        await this.succeed(claim, summary);
        settled = true;
        return;
      }
      if (!(await isFile(job.input))) {
        await this.fail(claim, `Input "${job.input}" does not exist`, summary);
        settled = true;
        return;
      }
      const free = await this.deps.freeBytes(dirname(job.output));
      if (free < this.options.diskFreeMinBytes) {
        await releaseJob(claim);
        settled = true;
        await this.onLowDisk(free, job.output, signal);
        return;
      }
      this.lowDisk = false;
      if (await pathExists(job.output)) {
        await this.fail(claim, await foreignOutputReason(job), summary);
        settled = true;
        return;
      }
      settled = await this.encode(claim, signal, summary);
    } catch (error) {
      // A full disk (ffmpeg's output, the journal) is waited out like low disk, never a failure.
      if (error instanceof LowDiskError || !isNoSpaceError(error)) throw error;
      log.debug("Out of space: {error}", { error: (error as Error).message });
      if (!settled) await releaseJob(claim);
      settled = true;
      await this.onLowDisk(0, job.output, signal, true);
    } finally {
      if (!settled) await releaseJob(claim);
    }
  }

  /** Encodes a claimed job; returns false when it was interrupted (the caller re-queues it). */
  private async encode(
    claim: ClaimedJob,
    signal: AbortSignal,
    summary: EncodeDaemonSummary,
  ): Promise<boolean> {
    const { job } = claim;
    // A job in progress keeps the settings it started with; the next one takes an edit.
    const settings = await this.deps.currentSettings?.() ?? this.options.settings;
    this.current = {
      job: claim.path,
      input: job.input,
      output: job.output,
      percent: null,
      speed: null,
      eta_seconds: null,
      ffmpeg_pid: null,
    };
    log.info("Encoding {input} to {output}", { input: job.input, output: job.output });
    const progressLog = new ProgressLog(() => this.deps.clock.now());
    await this.publish();
    const ticker = new AbortController();
    const ticking = this.tickStatus(ticker.signal);
    let journaled = claim;
    let result: TranscodeResult;
    try {
      result = await this.deps.transcode(
        {
          input: job.input,
          output: job.output,
          args: (temporary) => encodeArgs({ ...settings, input: job.input, output: temporary }),
        },
        {
          lowPriority: this.deps.lowPriority,
          pause: this.deps.pause,
          signal,
          ...(this.deps.probe ? { probe: this.deps.probe } : {}),
          onStart: (child) => {
            if (this.current) this.current = { ...this.current, ffmpeg_pid: child.pid };
            void this.publish();
          },
          onProgress: (progress) => {
            this.onProgress(progress);
            const line = progressLog.next(progress);
            if (line) log.info(`Progress {input}: ${line}`, { input: job.input, ...progress });
          },
          beforeInstall: async (temporary) => {
            await failpoint("encode-verified");
            const stamp = await stampOf(temporary);
            if (stamp) journaled = await journalEncodedOutput(claim, stamp);
            await failpoint("encode-journaled");
          },
        },
      );
    } finally {
      ticker.abort();
      await ticking;
      this.current = null;
    }
    return await this.settleEncode(result, claim, journaled, summary);
  }

  /**
   * What an ended ffmpeg run means for its job: done (settled from the `journaled` claim),
   * failed, out of space (thrown as ENOSPC for the caller's low-disk wait), or interrupted.
   */
  private async settleEncode(
    result: TranscodeResult,
    claim: ClaimedJob,
    journaled: ClaimedJob,
    summary: EncodeDaemonSummary,
  ): Promise<boolean> {
    const { job } = claim;
    switch (result.status) {
      case "done":
        log.info("Encoded {output} ({duration} s)", {
          output: result.output,
          duration: Math.round(result.duration * 10) / 10,
        });
        await notifyEncodeFinished(job.input, result.output);
        await this.succeed(journaled, summary);
        return true;
      case "failed":
        if (NO_SPACE.test(result.reason)) {
          throw Object.assign(new Error(result.reason), { code: "ENOSPC" });
        }
        await this.fail(claim, result.reason, summary);
        return true;
      case "aborted":
        log.info("Stopped encoding {input}; the job stays queued", { input: job.input });
        return false;
    }
  }

  /**
   * Settles a job whose output this encoder installed: deletes the input if asked, then the
   * job. The output's identity is journaled in the job file first, so a crash at any of these
   * steps ends as "done" on the next run.
   */
  private async succeed(claim: ClaimedJob, summary: EncodeDaemonSummary): Promise<void> {
    await failpoint("encode-installed");
    const { input, output } = claim.job;
    if (claim.job.delete_input_on_success) {
      if (await isSameFile(input, output)) {
        log.error("Kept input {input}: it is the same file as the output", { input });
      } else if (await removeIfExists(input)) {
        log.info("Deleted input {input} as the job asked", { input });
      }
      await failpoint("input-deleted");
    }
    await this.deps.onEncoded?.(input, output);
    await completeJob(claim);
    summary.done++;
  }

  private async fail(claim: ClaimedJob, reason: string, summary: EncodeDaemonSummary) {
    const path = await failJob(claim, reason, new Date(this.deps.clock.now()));
    log.error("Job {job} failed: {reason}", { job: path, reason });
    notify({ event: "encode_failed", input: claim.job.input, reason });
    summary.failed++;
  }

  private async onLowDisk(
    free: number,
    output: string,
    signal: AbortSignal,
    noSpace = false,
  ): Promise<void> {
    const message = noSpace
      ? `The disk filled up while encoding "${output}": the job stays queued`
      : `Only ${
        freeSpaceShortfall(free, this.options.diskFreeMinBytes, `for "${output}"`)
      }: not starting the next encode`;
    if (this.options.exitWhenEmpty) throw new LowDiskError(message);
    if (!this.lowDisk) {
      log.warn(message);
      notifyEncoderLowDisk(output, free, this.options.diskFreeMinBytes, message);
    }
    this.lowDisk = true;
    await this.publish();
    await this.deps.clock.sleep(this.options.lowDiskRetryMs ?? 30_000, signal);
  }

  private onProgress(progress: ProgressSnapshot): void {
    if (!this.current) return;
    this.current = {
      ...this.current,
      percent: progress.percent === null ? null : Math.round(progress.percent * 10) / 10,
      speed: progress.speed === null ? null : Math.round(progress.speed * 100) / 100,
      eta_seconds: progress.etaSeconds === null ? null : Math.round(progress.etaSeconds),
    };
  }

  /** Rewrites the status file periodically while a job runs (paused ffmpeg reports nothing). */
  private async tickStatus(signal: AbortSignal): Promise<void> {
    const every = this.options.statusEveryMs ?? 1000;
    while (!signal.aborted) {
      await this.deps.clock.sleep(every, signal);
      if (signal.aborted) return;
      this.queueLength = await countPendingJobs(this.options.queueDir).catch(() =>
        this.queueLength
      );
      await this.publish();
    }
  }

  private async publish(): Promise<void> {
    const paused = this.current !== null && this.deps.pause.paused;
    const state: EncoderState = this.current
      ? (paused ? "paused" : "encoding")
      : this.lowDisk
      ? "low-disk"
      : "idle";
    const status: EncoderStatus = {
      started_at: this.startedAt,
      state,
      paused,
      queue_length: this.queueLength,
      current_job: this.current,
    };
    // An idle daemon rewrites (and fsyncs) an unchanged status only as a heartbeat.
    const text = JSON.stringify(status);
    const now = this.deps.clock.now();
    if (!this.current && text === this.lastStatus && now - this.lastWrite < IDLE_HEARTBEAT_MS) {
      return;
    }
    try {
      await this.deps.writeStatus(status);
      this.lastStatus = text;
      this.lastWrite = now;
    } catch (error) {
      log.warn("Cannot write the encoder status: {error}", { error: String(error) });
    }
  }

  /** Called by the pause controller: publish the new state at once. */
  onPauseChange(): void {
    void this.publish();
  }

  private async idle(ms: number, signal: AbortSignal): Promise<void> {
    const waking = new AbortController();
    const stop = () => waking.abort();
    signal.addEventListener("abort", stop, { once: true });
    this.wake = stop;
    try {
      await this.deps.clock.sleep(ms, waking.signal);
    } finally {
      this.wake = () => {};
      signal.removeEventListener("abort", stop);
    }
  }

  private async watchQueue(signal: AbortSignal): Promise<void> {
    if (!this.deps.queueChanges) return;
    try {
      for await (const _change of this.deps.queueChanges(signal)) this.wake();
    } catch (error) {
      if (!signal.aborted) {
        log.warn("Cannot watch the job queue ({error}); checking every few seconds", {
          error: String(error),
        });
      }
    }
  }
}

/** Whether `job.output` is exactly the file this encoder journaled before installing it. */
async function isOwnOutput(job: EncodeJob): Promise<boolean> {
  const want = job.encoded_output;
  if (!want) return false;
  const have = await stampOf(job.output);
  return have !== undefined && have.dev === want.dev && have.ino === want.ino &&
    have.size === want.size && have.mtime_ms === want.mtime_ms;
}

/** Why an output that is already there (and not journaled by this job) blocks the job. */
async function foreignOutputReason(job: EncodeJob): Promise<string> {
  if (await isSameFile(job.input, job.output)) {
    return `Output "${job.output}" is the input itself (same device and inode): not encoding over it or deleting it`;
  }
  return `Output "${job.output}" already exists and was not written by this encoder from "${job.input}": not overwriting it or deleting the input`;
}

async function isFile(path: string): Promise<boolean> {
  return (await statOrUndefined(path))?.isFile ?? false;
}
