/** A clock whose sleeps return at once and move its time on: waits of any length cost nothing. */
import type { Clock } from "../src/util/clock.ts";

/** Starts at `start` ms; every `sleep(ms)` advances it by `ms`. */
export function instantClock(start = 0): Clock & { readonly elapsed: () => number } {
  let now = start;
  return {
    now: () => now,
    sleep: (ms) => {
      now += Math.max(0, ms);
      return Promise.resolve();
    },
    elapsed: () => now - start,
  };
}
