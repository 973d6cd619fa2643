import assert from "node:assert/strict";
import { FakeClock } from "../../testing/fake_clock.ts";
import { describeProgress, ProgressLog } from "./progress_log.ts";

const snapshot = (percent: number | null, at = { speed: 2, etaSeconds: 90 }) => ({
  outSeconds: 0,
  percent,
  speed: at.speed,
  etaSeconds: at.etaSeconds,
  done: false,
});

Deno.test("ProgressLog.next() logs each 10 % step once and at least once a minute", () => {
  const clock = new FakeClock();
  const progress = new ProgressLog(clock.now);
  const logged: (string | undefined)[] = [];
  for (const [at, percent] of [[1, 3], [2, 9.9], [3, 10.2], [4, 14], [5, 35], [6, 36]] as const) {
    clock.time = at * 1000;
    logged.push(progress.next(snapshot(percent)));
  }
  assert.deepEqual(logged, [
    undefined,
    undefined,
    "10.2%, 2x, about 1m30s left",
    undefined,
    "35.0%, 2x, about 1m30s left",
    undefined,
  ]);
  clock.time = 66_000;
  assert.equal(progress.next(snapshot(36.5)), "36.5%, 2x, about 1m30s left", "a minute passed");
  clock.time = 67_000;
  assert.equal(progress.next(snapshot(null)), undefined);
  clock.time = 127_000;
  assert.equal(progress.next(snapshot(null)), "?%, 2x, about 1m30s left");
  assert.equal(
    progress.next({ ...snapshot(100), done: true }),
    undefined,
    "the end has its own line",
  );
});

Deno.test("describeProgress() leaves out what ffmpeg does not know yet", () => {
  assert.equal(describeProgress({ percent: 5, speed: null, etaSeconds: null }), "5.0%");
  assert.equal(
    describeProgress({ percent: 42.5, speed: 1.456, etaSeconds: 3725 }),
    "42.5%, 1.46x, about 1h02m left",
  );
});
