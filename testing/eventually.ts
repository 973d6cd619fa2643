/**
 * The one polling wait of tests and benchmarks: call `check` until it returns a value, or fail
 * naming what never happened. End-to-end tests poll real files and processes with generous
 * timeouts (never a timed assertion); the benchmark passes a short period and an interruptible
 * sleep; unit tests poll in-memory state every few milliseconds.
 */

/** How {@link eventually} polls. */
export interface EventuallyOptions {
  /** Give up after this long (default 90 s: a failure detector, generous for a loaded machine). */
  readonly timeoutMs?: number;
  /** Pause between checks (default 200 ms). */
  readonly everyMs?: number;
  /** How to pause (default a timer); the benchmark's throws when Ctrl-C interrupts it. */
  readonly sleep?: (ms: number) => Promise<void>;
}

const timer = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Resolves with the first value `check` returns that is not `undefined` or `false`; throws
 * `Timed out after <ms> ms waiting for <what>` once `timeoutMs` has passed. A number as
 * `options` is the timeout.
 *
 * @example
 * const pid = await eventually("the poller's pid file", () => readPid(path), 60_000);
 */
export async function eventually<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  options: number | EventuallyOptions = {},
): Promise<T> {
  const { timeoutMs = 90_000, everyMs = 200, sleep = timer } = typeof options === "number"
    ? { timeoutMs: options }
    : options;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value as T;
    if (performance.now() >= deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await sleep(everyMs);
  }
}
