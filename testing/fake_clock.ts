/**
 * The one fake clock of the unit tests: sleeps return at once and move its time on, so waits of
 * any length cost nothing, and a test reads (`sleeps`, `elapsed()`) or sets (`time`) it.
 */
import type { Clock } from "../src/util/clock.ts";

/** Starts at `start` ms; every `sleep(ms)` not already aborted advances it by `ms`. */
export class FakeClock implements Clock {
  /** The current time (ms since the epoch); a test may move it on by hand. */
  time: number;
  /** Every wait asked for, in order. */
  readonly sleeps: number[] = [];

  constructor(readonly start = 0) {
    this.time = start;
  }

  now = (): number => this.time;

  sleep = async (ms: number, signal?: AbortSignal): Promise<void> => {
    if (signal?.aborted) return;
    this.sleeps.push(ms);
    this.time += Math.max(0, ms);
    await Promise.resolve();
  };

  /** Milliseconds since the start. */
  elapsed = (): number => this.time - this.start;
}
