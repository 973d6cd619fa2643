import assert from "node:assert/strict";
import { spawnChild, stopChild } from "./spawn.ts";
import { stopProcess } from "./stop_process.ts";

/** A real child that ignores SIGINT (once it said so), so only the escalation stops it. */
async function stubborn() {
  let ready!: () => void;
  const started = new Promise<void>((resolve) => ready = resolve);
  const child = spawnChild("python3", [
    "-c",
    "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nprint('ready', flush=True)\ntime.sleep(30)",
  ], { stdout: { lines: () => ready() } });
  await started;
  return child;
}

Deno.test("stopChild() escalates from an ignored SIGINT to SIGTERM", async () => {
  const child = await stubborn();
  const started = Date.now();
  const exit = await stopChild(child, { graceMs: 300 });
  assert.equal(exit.signal, "SIGTERM");
  assert.ok(Date.now() - started < 5000);
});

Deno.test("stopProcess() polls isGone() for a process it did not start and reports the step that ended it", async () => {
  const child = await stubborn();
  let exited = false;
  child.exited.then(() => exited = true);
  const step = await stopProcess(
    { send: (signal) => child.signal(signal), isGone: () => Promise.resolve(exited) },
    [{ signal: "SIGINT", waitMs: 300 }, { signal: "SIGKILL", waitMs: 5000 }],
    { pollMs: 20 },
  );
  assert.equal(step, 1);
  assert.equal((await child.exited).signal, "SIGKILL");
});

Deno.test("stopProcess() returns -1 at once when its wait is aborted", async () => {
  const child = await stubborn();
  try {
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 200);
    const started = Date.now();
    const step = await stopProcess(
      { send: (signal) => child.signal(signal), exited: child.exited },
      [{ signal: "SIGINT", waitMs: 20_000 }],
      { signal: abort.signal },
    );
    assert.equal(step, -1);
    assert.ok(Date.now() - started < 5000, "the 20 s wait was cut short");
  } finally {
    child.signal("SIGKILL");
    await child.exited;
  }
});
