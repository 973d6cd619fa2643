import assert from "node:assert/strict";
import { systemClock } from "../util/clock.ts";
import { type Pausable, PauseController } from "./pause_controller.ts";
import { eventually } from "../../testing/eventually.ts";

/** A child that records the signals it gets. */
function fakeChild(): Pausable & { signals: Deno.Signal[] } {
  const signals: Deno.Signal[] = [];
  return { pid: 4242, signals, signal: (signal) => signals.push(signal) };
}

/** A change feed the test pushes into; ends when the signal aborts. */
function changeFeed() {
  let notify: () => void = () => {};
  return {
    push: () => notify(),
    changes: async function* (signal: AbortSignal) {
      while (!signal.aborted) {
        await new Promise<void>((resolve) => {
          notify = resolve;
          signal.addEventListener("abort", () => resolve(), { once: true });
        });
        if (!signal.aborted) yield;
      }
    },
  };
}

Deno.test("PauseController.attach() stops a new child at once while a capture runs", async () => {
  const child = fakeChild();
  const controller = new PauseController({ isCapturing: () => Promise.resolve(true) });
  await controller.attach(child);
  assert.deepEqual(child.signals, ["SIGSTOP"]);
  assert.equal(controller.paused, true);
});

Deno.test("PauseController continues the child when the capture ends, on a change event", async () => {
  let capturing = true;
  const feed = changeFeed();
  const changes: boolean[] = [];
  const controller = new PauseController({
    isCapturing: () => Promise.resolve(capturing),
    changes: feed.changes,
    recheckMs: 60_000,
    onChange: (paused) => changes.push(paused),
  });
  const stop = new AbortController();
  const running = controller.run(stop.signal);
  const child = fakeChild();
  await controller.attach(child);
  capturing = false;
  feed.push();
  await eventually("SIGCONT after the change", () => child.signals.length === 2, {
    everyMs: 5,
    timeoutMs: 5_000,
  });
  assert.deepEqual(child.signals, ["SIGSTOP", "SIGCONT"]);
  assert.deepEqual(changes, [true, false]);
  stop.abort();
  await running;
});

Deno.test("PauseController re-checks periodically without any change event", async () => {
  let capturing = false;
  const controller = new PauseController({
    isCapturing: () => Promise.resolve(capturing),
    clock: systemClock,
    recheckMs: 5,
  });
  const stop = new AbortController();
  const running = controller.run(stop.signal);
  const child = fakeChild();
  await controller.attach(child);
  assert.deepEqual(child.signals, []);
  capturing = true;
  await eventually("SIGSTOP from the periodic check", () => controller.paused, {
    everyMs: 5,
    timeoutMs: 5_000,
  });
  assert.deepEqual(child.signals, ["SIGSTOP"]);
  stop.abort();
  await running;
});

Deno.test("PauseController.detach() continues a stopped child and forgets it", async () => {
  const child = fakeChild();
  const controller = new PauseController({ isCapturing: () => Promise.resolve(true) });
  await controller.attach(child);
  controller.detach();
  assert.deepEqual(child.signals, ["SIGSTOP", "SIGCONT"]);
  assert.equal(controller.paused, false);
  await controller.refresh();
  assert.deepEqual(child.signals, ["SIGSTOP", "SIGCONT"]);
});

Deno.test("PauseController coalesces concurrent refreshes and keeps state on read errors", async () => {
  let calls = 0;
  let fail = false;
  const controller = new PauseController({
    isCapturing: async () => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (fail) throw new Error("unreadable");
      return true;
    },
  });
  const child = fakeChild();
  await controller.attach(child);
  calls = 0;
  await Promise.all([controller.refresh(), controller.refresh(), controller.refresh()]);
  assert.ok(calls <= 2, `${calls} reads for 3 refreshes`);
  fail = true;
  await controller.refresh();
  assert.equal(controller.paused, true);
  assert.deepEqual(child.signals, ["SIGSTOP"]);
});
