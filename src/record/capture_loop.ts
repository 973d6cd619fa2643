import { getLogger } from "@logtape/logtape";
import type { Child, ChildExit } from "../proc/spawn.ts";
import type { Clock } from "../util/clock.ts";
import { isNoSpaceError } from "../util/disk_space.ts";

const log = getLogger(["twitchtool", "record"]);

/**
 * Why capturing stopped. `left`: the host is going away and left the running streamlink to
 * write on, for the next host to adopt (nothing is finalized).
 */
export type CaptureEndReason = "window-expired" | "interrupted" | "low-disk" | "left";

/** Timing of the capture loop, in milliseconds. */
export interface CaptureSettings {
  /** `retry_delay`: the longest wait between attempts while the channel is offline. */
  readonly retryDelayMs: number;
  /** `retry_window`: give up this long after the last part that held data (or the start). */
  readonly retryWindowMs: number;
  /** First quick retry after a failed attempt; doubles up to `retryDelayMs`. */
  readonly firstRetryMs: number;
  /** How often a running part's size is checked (state changes, disk space). */
  readonly pollMs: number;
  /** How often {@link CaptureDeps.onReport} hears how capturing or waiting goes. */
  readonly reportEveryMs?: number;
}

/**
 * A periodic word on the capture for the log: while data flows, how much and for how long;
 * while waiting, how long until `retry_window` runs out.
 */
export type CaptureReport =
  | {
    readonly kind: "capturing";
    readonly bytes: number;
    readonly parts: number;
    readonly ms: number;
  }
  | { readonly kind: "waiting"; readonly giveUpInMs: number };

/** The first capturing report comes this soon after data starts, then every `reportEveryMs`. */
const FIRST_REPORT_MS = 5000;

/** Free space is re-checked every this many polls of a running part (statfs is cheap). */
const DISK_CHECK_EVERY_POLLS = 4;

/** Default quick-retry and polling timings. */
export const DEFAULT_CAPTURE_TIMING = {
  firstRetryMs: 1000,
  pollMs: 500,
  reportEveryMs: 60_000,
} as const;

/** Everything the loop touches, injected so its logic runs under a fake clock in unit tests. */
export interface CaptureDeps {
  readonly clock: Clock;
  /** Path of part number `index` (1-based). */
  partPath(index: number): string;
  /** Starts streamlink writing one part (or hands over an adopted one already writing it). */
  startCapture(output: string): Child | Promise<Child>;
  /** Stops a running capture gracefully (SIGINT, then escalation). */
  stopCapture(child: Child): Promise<ChildExit>;
  /** Size of a part file, 0 when missing. */
  fileSize(path: string): Promise<number>;
  /** Removes a part that is not kept: it holds nothing, or only content already captured. */
  discardPart(path: string): Promise<void>;
  /** Whether part `path` is byte for byte the tail of the earlier part `previous`. */
  repeatsPart(path: string, previous: string): Promise<boolean>;
  /** The recording started or stopped receiving data. */
  onState(state: "capturing" | "waiting"): Promise<void>;
  /** A part with data is complete and must be kept (a full disk here ends the capture). */
  onPart(path: string): Promise<void>;
  /** A reason to stop when free space is too low, checked before and during each part. */
  checkDisk(): Promise<string | undefined>;
  /** Hears a {@link CaptureReport} now and then (logged by the recorder). */
  onReport?(report: CaptureReport): void;
}

/** Parts with data, in order, and why the loop ended. */
export interface CaptureResult {
  readonly parts: string[];
  readonly reason: CaptureEndReason;
  readonly detail?: string;
}

/** Where the loop starts and how it can be left without stopping streamlink. */
export interface CaptureLoopOptions {
  /** Index of the first part to write (after an adopted session's earlier parts). */
  readonly firstPartIndex?: number;
  /** Aborts the loop at once, leaving a running streamlink alone (reason `left`). */
  readonly leave?: AbortSignal;
  /**
   * The first part is an adopted streamlink's: its slot was taken over as `capturing`, so the
   * first state the loop sees is reported whichever it is.
   */
  readonly adopted?: boolean;
}

/**
 * Runs streamlink part after part until the channel has stayed offline for the retry window,
 * the disk runs low, or `signal` aborts. A part that holds data is kept whatever streamlink's
 * exit code (it exits non-zero after a read timeout with the data already written), unless it
 * only repeats the end of the part before (an ended playlist served again): that counts as an
 * attempt without data, so content is never captured twice. After a part with data the next
 * attempt starts at once; failed attempts back off from
 * `firstRetryMs`, doubling up to `retryDelayMs`, so a short outage costs seconds, not a minute.
 */
export async function captureLoop(
  settings: CaptureSettings,
  deps: CaptureDeps,
  signal: AbortSignal,
  options: CaptureLoopOptions = {},
): Promise<CaptureResult> {
  const parts: string[] = [];
  const leave = options.leave;
  let lastDataAt = deps.clock.now();
  let nextIndex = options.firstPartIndex ?? 1;
  let failedAttempts = 0;
  let capturing: boolean | undefined = options.adopted ? undefined : false;
  const setCapturing = async (value: boolean) => {
    if (value === capturing) return;
    capturing = value;
    await deps.onState(value ? "capturing" : "waiting");
  };
  const reportEvery = settings.reportEveryMs ?? DEFAULT_CAPTURE_TIMING.reportEveryMs;
  const reports: ReportClock = { bytesDone: 0, partsDone: 0, nextWaitReportAt: 0 };

  for (let attempt = 0;; attempt++) {
    if (leave?.aborted) return { parts, reason: "left" };
    if (signal.aborted) return { parts, reason: "interrupted" };
    const lowDisk = await deps.checkDisk();
    if (lowDisk) return { parts, reason: "low-disk", detail: lowDisk };
    if (attempt > 0 && deps.clock.now() - lastDataAt >= settings.retryWindowMs) {
      return { parts, reason: "window-expired" };
    }

    const output = deps.partPath(nextIndex);
    const child = await deps.startCapture(output);
    const outcome = await watchPart(
      child,
      output,
      settings,
      deps,
      signal,
      setCapturing,
      reports,
      leave,
    );
    if (outcome.stopReason === "left") return { parts, reason: "left" };
    const size = await deps.fileSize(output);
    log.debug("streamlink exited with {code} after writing {size} bytes to {output}", {
      code: outcome.exit?.code,
      size,
      output,
    });

    const previous = parts.at(-1);
    // streamlink exits 0 only when the playlist ended (#EXT-X-ENDLIST); a source that keeps
    // serving its ended playlist hands every reconnect the same final segments again.
    const repeat = size > 0 && outcome.exit?.code === 0 && !outcome.stopReason &&
      previous !== undefined && await deps.repeatsPart(output, previous);
    if (repeat) {
      log.info("Part {output} only repeats the end of {previous}: discarded", { output, previous });
      await deps.discardPart(output);
      failedAttempts++;
    } else if (size > 0) {
      parts.push(output);
      try {
        await deps.onPart(output);
      } catch (error) {
        // A full disk must stop the capture, not crash it: the part itself is complete on disk.
        if (!isNoSpaceError(error)) throw error;
        await setCapturing(false);
        const detail = outcome.detail ?? (await deps.checkDisk()) ?? (error as Error).message;
        return { parts, reason: "low-disk", detail };
      }
      nextIndex++;
      lastDataAt = deps.clock.now();
      failedAttempts = 0;
      reports.bytesDone += size;
      reports.partsDone++;
      reports.nextWaitReportAt = 0;
      log.info("Part {output} ended ({size} bytes, streamlink exit {code})", {
        output,
        size,
        code: outcome.exit?.code,
      });
    } else {
      await deps.discardPart(output);
      failedAttempts++;
    }
    // A stop (request or low disk) is not the stream going away: no "waiting" word for it.
    if (!outcome.stopReason && !signal.aborted) await setCapturing(false);
    if (outcome.stopReason === "low-disk") {
      return { parts, reason: "low-disk", ...(outcome.detail ? { detail: outcome.detail } : {}) };
    }
    if (signal.aborted) return { parts, reason: "interrupted" };
    if (size > 0 && !repeat) continue;

    const remaining = settings.retryWindowMs - (deps.clock.now() - lastDataAt);
    if (remaining <= 0) return { parts, reason: "window-expired" };
    const backoff = Math.min(
      settings.firstRetryMs * 2 ** (failedAttempts - 1),
      Math.max(settings.retryDelayMs, settings.firstRetryMs),
    );
    log.debug("No stream; retrying in {seconds} s", {
      seconds: Math.min(backoff, remaining) / 1000,
    });
    if (deps.clock.now() >= reports.nextWaitReportAt) {
      deps.onReport?.({ kind: "waiting", giveUpInMs: remaining });
      reports.nextWaitReportAt = deps.clock.now() + reportEvery;
    }
    await deps.clock.sleep(Math.min(backoff, remaining), anySignal(signal, leave));
  }
}

/** What the periodic reports need to remember across parts. */
interface ReportClock {
  bytesDone: number;
  partsDone: number;
  /** When data first flowed; the capturing duration counts from here. */
  firstDataAt?: number;
  nextCaptureReportAt?: number;
  nextWaitReportAt: number;
}

interface PartOutcome {
  readonly exit?: ChildExit;
  readonly stopReason?: "interrupted" | "low-disk" | "left";
  readonly detail?: string;
}

/** Waits for one streamlink run, reporting when data starts flowing and stopping it on abort/low disk. */
async function watchPart(
  child: Child,
  output: string,
  settings: CaptureSettings,
  deps: CaptureDeps,
  signal: AbortSignal,
  setCapturing: (value: boolean) => Promise<void>,
  reports: ReportClock,
  leave: AbortSignal | undefined,
): Promise<PartOutcome> {
  let exit: ChildExit | undefined;
  child.exited.then((value) => exit = value);
  const wake = new AbortController();
  const onAbort = () => wake.abort();
  signal.addEventListener("abort", onAbort, { once: true });
  leave?.addEventListener("abort", onAbort, { once: true });
  child.exited.then(onAbort);
  try {
    for (let tick = 0; !exit; tick++) {
      if (leave?.aborted) return { stopReason: "left" };
      if (signal.aborted) return { exit: await deps.stopCapture(child), stopReason: "interrupted" };
      const size = await deps.fileSize(output);
      if (size > 0) {
        await setCapturing(true);
        const now = deps.clock.now();
        reports.firstDataAt ??= now;
        reports.nextCaptureReportAt ??= now + FIRST_REPORT_MS;
        if (now >= reports.nextCaptureReportAt) {
          deps.onReport?.({
            kind: "capturing",
            bytes: reports.bytesDone + size,
            parts: reports.partsDone + 1,
            ms: now - reports.firstDataAt,
          });
          reports.nextCaptureReportAt = now +
            (settings.reportEveryMs ?? DEFAULT_CAPTURE_TIMING.reportEveryMs);
        }
      }
      if (tick % DISK_CHECK_EVERY_POLLS === DISK_CHECK_EVERY_POLLS - 1) {
        const lowDisk = await deps.checkDisk();
        if (lowDisk) {
          log.warn("Stopping capture: {reason}", { reason: lowDisk });
          return { exit: await deps.stopCapture(child), stopReason: "low-disk", detail: lowDisk };
        }
      }
      await deps.clock.sleep(settings.pollMs, wake.signal);
    }
    return { exit };
  } finally {
    signal.removeEventListener("abort", onAbort);
    leave?.removeEventListener("abort", onAbort);
  }
}

/** A signal that aborts with either input (the second may be absent). */
function anySignal(first: AbortSignal, second: AbortSignal | undefined): AbortSignal {
  return second ? AbortSignal.any([first, second]) : first;
}
