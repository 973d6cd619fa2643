/**
 * Waiting in the benchmarks. Unlike the tests' default (200 ms steps), these take the
 * polling period as a parameter, because latencies of a few milliseconds are measured with
 * them, and they throw when the run is interrupted so that every workload unwinds through
 * its cleanups on Ctrl-C.
 */
import { systemClock } from "../../src/util/clock.ts";
import { eventually } from "../../testing/eventually.ts";

/** Thrown by the waits once the run's signal aborts (Ctrl-C). */
export class InterruptedError extends Error {
  override name = "InterruptedError";
  constructor() {
    super("Benchmark interrupted");
  }
}

/** Sleeps `ms`, throwing {@link InterruptedError} if `signal` aborts first. */
export async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  await systemClock.sleep(ms, signal);
  if (signal.aborted) throw new InterruptedError();
}

/**
 * Calls `check` every `everyMs` until it returns a value (not `undefined`/`false`) and returns
 * that value; throws after `timeoutMs` naming `what`, or {@link InterruptedError} on Ctrl-C.
 * The polling is testing/eventually.ts's, shared with the tests.
 */
export function pollUntil<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  options: { everyMs: number; timeoutMs: number; signal: AbortSignal },
): Promise<T> {
  return eventually(what, check, {
    everyMs: options.everyMs,
    timeoutMs: options.timeoutMs,
    sleep: (ms) => sleep(ms, options.signal),
  });
}

/** Milliseconds since `start` (a `performance.now()` value). */
export function elapsedMs(start: number): number {
  return performance.now() - start;
}
