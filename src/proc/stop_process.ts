/**
 * The one way a process is stopped: a sequence of steps, each sending a signal (or, for a
 * recording hosted by the poller, a stop request) and then waiting a bounded time for the
 * process to be gone; the next step escalates. Children are awaited through their exit
 * promise; processes we did not start (daemons, recorders) through a kernel fact the caller
 * checks (their lock released). Every wait is abortable.
 */
import { getLogger } from "@logtape/logtape";
import { type Clock, systemClock } from "../util/clock.ts";

/** One step: send `signal` (if any), then wait up to `waitMs` for the target to be gone. */
export interface StopStep {
  readonly signal?: Deno.Signal;
  readonly waitMs: number;
}

/** How to reach the target and tell that it is gone. */
export interface StopTarget {
  send(signal: Deno.Signal): Promise<unknown> | void;
  /** Settles when the target exits (a child of ours). */
  readonly exited?: Promise<unknown>;
  /** Polled when there is no `exited` (a process we did not start). */
  isGone?(): Promise<boolean>;
}

/** Options of {@link stopProcess}. */
export interface StopOptions {
  readonly clock?: Clock;
  /** Period of `isGone()` checks. */
  readonly pollMs?: number;
  /** Ends every wait at once (the caller is shutting down). */
  readonly signal?: AbortSignal;
  /** Logged as "<label> ignored SIGx; escalating" between steps, when given. */
  readonly label?: string;
}

/**
 * Runs `steps` until the target is gone. Returns the index of the step after which it was
 * gone, or -1 when it outlived every step (or the wait was aborted).
 */
export async function stopProcess(
  target: StopTarget,
  steps: readonly StopStep[],
  options: StopOptions = {},
): Promise<number> {
  const clock = options.clock ?? systemClock;
  let gone = false;
  target.exited?.then(() => gone = true, () => gone = true);
  const isGone = async () => gone || (!target.exited && !!(await target.isGone?.()));
  for (const [index, step] of steps.entries()) {
    if (await isGone()) return Math.max(0, index - 1);
    if (options.signal?.aborted) return -1;
    if (step.signal) await target.send(step.signal);
    if (await waitGone(target, isGone, step.waitMs, clock, options)) return index;
    const next = steps[index + 1]?.signal;
    if (next && options.label) {
      getLogger(["twitchtool", "proc"]).warn("{label} ignored {signal}; escalating to {next}", {
        label: options.label,
        signal: step.signal ?? "the request",
        next,
      });
    }
  }
  return -1;
}

async function waitGone(
  target: StopTarget,
  isGone: () => Promise<boolean>,
  waitMs: number,
  clock: Clock,
  options: StopOptions,
): Promise<boolean> {
  const deadline = clock.now() + waitMs;
  const wake = new AbortController();
  const stop = options.signal ? AbortSignal.any([wake.signal, options.signal]) : wake.signal;
  target.exited?.then(() => wake.abort(), () => wake.abort());
  try {
    while (!(await isGone())) {
      const left = deadline - clock.now();
      if (left <= 0 || stop.aborted) return false;
      await clock.sleep(target.exited ? left : Math.min(left, options.pollMs ?? 200), stop);
    }
    return true;
  } finally {
    wake.abort();
  }
}
