import assert from "node:assert/strict";
import type { Child, ChildExit } from "../proc/spawn.ts";
import { FakeClock } from "../../testing/fake_clock.ts";
import { type CaptureDeps, captureLoop, type CaptureReport } from "./capture_loop.ts";

const START = 1_000_000;

/** One scripted streamlink run: bytes it writes and how it exits (or hangs until stopped). */
interface Attempt {
  readonly bytes: number;
  readonly code?: number;
  readonly hang?: boolean;
}

function scriptedDeps(clock: FakeClock, script: Attempt[], extra: Partial<CaptureDeps> = {}) {
  const sizes = new Map<string, number>();
  const states: string[] = [];
  const removed: string[] = [];
  let started = 0;
  const deps: CaptureDeps = {
    clock,
    partPath: (index) => `/tmp/u_part${String(index).padStart(2, "0")}.ts`,
    startCapture: (output) => {
      const attempt = script[started++] ?? { bytes: 0, code: 1 };
      sizes.set(output, attempt.bytes);
      let resolveExit!: (exit: ChildExit) => void;
      const exited = new Promise<ChildExit>((resolve) => resolveExit = resolve);
      if (!attempt.hang) resolveExit({ code: attempt.code ?? 0, signal: null });
      const child: Child = {
        pid: 1,
        exited,
        signal: () => resolveExit({ code: 130, signal: "SIGINT" }),
      };
      return child;
    },
    stopCapture: (child) => {
      child.signal("SIGINT");
      return child.exited;
    },
    fileSize: (path) => Promise.resolve(sizes.get(path) ?? 0),
    discardPart: (path) => {
      removed.push(path);
      sizes.delete(path);
      return Promise.resolve();
    },
    onState: (state) => {
      states.push(state);
      return Promise.resolve();
    },
    onPart: () => Promise.resolve(),
    checkDisk: () => Promise.resolve(undefined),
    repeatsPart: () => Promise.resolve(false),
    ...extra,
  };
  return { deps, states, removed, attempts: () => started };
}

const settings = { retryDelayMs: 60_000, retryWindowMs: 900_000, firstRetryMs: 1000, pollMs: 500 };

Deno.test("captureLoop() keeps parts with data whatever the exit code and starts the next at once", async () => {
  const clock = new FakeClock(START);
  const { deps, removed } = scriptedDeps(clock, [{ bytes: 500, code: 1 }, { bytes: 700, code: 0 }]);
  const result = await captureLoop(settings, deps, new AbortController().signal);
  assert.deepEqual(result.parts, ["/tmp/u_part01.ts", "/tmp/u_part02.ts"]);
  assert.equal(result.reason, "window-expired");
  assert.ok(!removed.includes("/tmp/u_part01.ts"));
  assert.ok(
    removed.every((path) => path === "/tmp/u_part03.ts"),
    "empty attempts reuse the next number",
  );
});

Deno.test("captureLoop() retries quickly, doubling up to retry_delay, until retry_window after the last part", async () => {
  const clock = new FakeClock(START);
  const start = clock.time;
  const { deps } = scriptedDeps(clock, [{ bytes: 100, code: 0 }]);
  const result = await captureLoop(settings, deps, new AbortController().signal);
  const retryWaits = clock.sleeps.filter((ms) => ms !== settings.pollMs);
  assert.deepEqual(retryWaits.slice(0, 8), [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
  assert.ok(retryWaits.every((ms) => ms <= 60000));
  const elapsed = clock.time - start;
  assert.ok(elapsed >= 900_000 && elapsed < 900_000 + 60_000, `ended after ${elapsed} ms`);
  assert.equal(result.reason, "window-expired");
});

Deno.test("captureLoop() reports capturing while data flows and waiting between attempts", async () => {
  const clock = new FakeClock(START);
  const { deps, states } = scriptedDeps(clock, [{ bytes: 10, code: 0 }], {});
  await captureLoop({ ...settings, retryWindowMs: 5000 }, deps, new AbortController().signal);
  assert.deepEqual(states, ["capturing", "waiting"]);
});

Deno.test("captureLoop() stops a running capture on abort and keeps what it wrote", async () => {
  const clock = new FakeClock(START);
  const controller = new AbortController();
  const { deps } = scriptedDeps(clock, [{ bytes: 900, hang: true }], {
    onState: (state) => {
      if (state === "capturing") controller.abort();
      return Promise.resolve();
    },
  });
  const result = await captureLoop(settings, deps, controller.signal);
  assert.equal(result.reason, "interrupted");
  assert.deepEqual(result.parts, ["/tmp/u_part01.ts"]);
});

Deno.test("captureLoop() stopped on request does not report the stream as waiting", async () => {
  const clock = new FakeClock(START);
  const controller = new AbortController();
  const states: string[] = [];
  const { deps } = scriptedDeps(clock, [{ bytes: 900, hang: true }], {
    onState: (state) => {
      states.push(state);
      if (state === "capturing") controller.abort();
      return Promise.resolve();
    },
  });
  const result = await captureLoop(settings, deps, controller.signal);
  assert.equal(result.reason, "interrupted");
  assert.deepEqual(states, ["capturing"]);
});

Deno.test("captureLoop() stops with low-disk before starting a part when space runs out", async () => {
  const clock = new FakeClock(START);
  let checks = 0;
  const { deps, attempts } = scriptedDeps(clock, [{ bytes: 50, code: 0 }, { bytes: 50, code: 0 }], {
    checkDisk: () => Promise.resolve(++checks > 1 ? "only 1 MiB free" : undefined),
  });
  const result = await captureLoop(settings, deps, new AbortController().signal);
  assert.equal(result.reason, "low-disk");
  assert.equal(result.detail, "only 1 MiB free");
  assert.deepEqual(result.parts, ["/tmp/u_part01.ts"]);
  assert.equal(attempts(), 1);
});

Deno.test("captureLoop() with the channel offline from the start gives up after retry_window", async () => {
  const clock = new FakeClock(START);
  const { deps } = scriptedDeps(clock, []);
  const result = await captureLoop(
    { ...settings, retryWindowMs: 10_000 },
    deps,
    new AbortController().signal,
  );
  assert.deepEqual(result.parts, []);
  assert.equal(result.reason, "window-expired");
});

Deno.test("captureLoop() ends with low-disk, keeping the part, when recording it hits ENOSPC", async () => {
  const clock = new FakeClock(START);
  const full = Object.assign(new Error("No space left on device (os error 28)"), {
    code: "ENOSPC",
  });
  const { deps, attempts } = scriptedDeps(clock, [{ bytes: 500, code: 1 }, { bytes: 700 }], {
    onPart: () => Promise.reject(full),
  });
  const result = await captureLoop(settings, deps, new AbortController().signal);
  assert.equal(result.reason, "low-disk");
  assert.deepEqual(result.parts, ["/tmp/u_part01.ts"]);
  assert.match(result.detail ?? "", /No space left on device/);
  assert.equal(attempts(), 1, "no new streamlink on a full disk");
});

Deno.test("captureLoop() discards parts that repeat an ended playlist and lets the window expire", async () => {
  const clock = new FakeClock(START);
  const ended = Array.from({ length: 40 }, () => ({ bytes: 600, code: 0 }));
  const { deps, removed, attempts } = scriptedDeps(clock, [{ bytes: 900, code: 0 }, ...ended], {
    repeatsPart: (path, previous) =>
      Promise.resolve(path !== "/tmp/u_part01.ts" && previous === "/tmp/u_part01.ts"),
  });
  const result = await captureLoop(
    { ...settings, retryWindowMs: 10_000, retryDelayMs: 4000 },
    deps,
    new AbortController().signal,
  );
  assert.equal(result.reason, "window-expired");
  assert.deepEqual(result.parts, ["/tmp/u_part01.ts"], "the replays are never kept");
  assert.ok(removed.includes("/tmp/u_part02.ts"));
  assert.ok(attempts() <= 6, `${attempts()} attempts, backing off like an offline channel`);
});

Deno.test("captureLoop() keeps a part with new content after an ended one", async () => {
  const clock = new FakeClock(START);
  const { deps } = scriptedDeps(clock, [{ bytes: 900, code: 0 }, { bytes: 600, code: 0 }]);
  const result = await captureLoop(settings, deps, new AbortController().signal);
  assert.deepEqual(result.parts, ["/tmp/u_part01.ts", "/tmp/u_part02.ts"]);
});

Deno.test("captureLoop() reports size and duration while capturing, then the time left to wait", async () => {
  const clock = new FakeClock(START);
  const controller = new AbortController();
  const reports: CaptureReport[] = [];
  const { deps } = scriptedDeps(clock, [{ bytes: 900, hang: true }], {
    onReport: (report) => {
      reports.push(report);
      if (report.kind === "capturing" && report.ms > 60_000) controller.abort();
    },
  });
  await captureLoop({ ...settings, reportEveryMs: 60_000 }, deps, controller.signal);
  assert.deepEqual(reports, [
    { kind: "capturing", bytes: 900, parts: 1, ms: 5000 },
    { kind: "capturing", bytes: 900, parts: 1, ms: 65_000 },
  ]);

  const offline = scriptedDeps(new FakeClock(START), [{ bytes: 100, code: 0 }], {
    onReport: (report) => reports.push(report),
  });
  reports.length = 0;
  await captureLoop(
    { ...settings, retryWindowMs: 300_000, reportEveryMs: 60_000 },
    offline.deps,
    new AbortController().signal,
  );
  const left = reports.map((report) => report.kind === "waiting" ? report.giveUpInMs : -1);
  assert.ok(left.length >= 4 && left.length <= 6, `reports ${left}`);
  assert.equal(left[0], 300_000);
  for (let i = 1; i < left.length; i++) {
    assert.ok(left[i - 1]! - left[i]! >= 60_000, `reports ${left} closer than a minute`);
  }
});

Deno.test("captureLoop() left mid-part returns at once without stopping streamlink; an adopter resumes at the given part", async () => {
  const clock = new FakeClock(START);
  const leave = new AbortController();
  const signals: string[] = [];
  const { deps } = scriptedDeps(clock, [{ bytes: 900, hang: true }], {
    onState: (state) => {
      if (state === "capturing") leave.abort();
      return Promise.resolve();
    },
    stopCapture: (child) => {
      signals.push("stop");
      return child.exited;
    },
  });
  const left = await captureLoop(settings, deps, new AbortController().signal, {
    leave: leave.signal,
  });
  assert.equal(left.reason, "left");
  assert.deepEqual(left.parts, [], "the running part is not the leaver's to keep");
  assert.deepEqual(signals, [], "streamlink is never stopped");

  const adopter = scriptedDeps(new FakeClock(START), [{ bytes: 300, code: 1 }]);
  const resumed = await captureLoop(
    { ...settings, retryWindowMs: 5000 },
    adopter.deps,
    new AbortController().signal,
    { firstPartIndex: 3 },
  );
  assert.deepEqual(resumed.parts, ["/tmp/u_part03.ts"]);
  assert.equal(resumed.reason, "window-expired");
});
