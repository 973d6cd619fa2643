import assert from "node:assert/strict";
import { startNotifySink } from "../../testing/notify_sink.ts";
import { listOutbox, readOutboxView } from "../state/notify_outbox.ts";
import type { Clock } from "../util/clock.ts";
import { Notifier, type NotifierOptions } from "./notifier.ts";
import { parseNotifyUrl } from "./notify_url.ts";
import { eventually } from "../../testing/eventually.ts";

/** A clock whose sleeps pass at once (and move time on). */
function instantClock(): Clock {
  let now = 1_000_000;
  return {
    now: () => now,
    sleep: async (ms) => {
      now += ms;
      // Let I/O run between passes of a delivery loop.
      await new Promise((resolve) => setTimeout(resolve, 1));
    },
  };
}

function notifier(
  stateDir: string,
  urls: string[],
  options: Partial<Pick<NotifierOptions, "giveUpAfterMs" | "role" | "clock">> & {
    timeoutMs?: number;
  } = {},
) {
  return new Notifier({
    targets: urls.map(parseNotifyUrl),
    events: ["recording_finished", "encode_failed"],
    giveUpAfterMs: options.giveUpAfterMs ?? 300_000,
    clock: options.clock ?? instantClock(),
    send: {
      fetch,
      apprise: () => Promise.reject(new Error("no apprise")),
      timeoutMs: options.timeoutMs ?? 2_000,
    },
    stateDir,
    role: options.role ?? "write",
  });
}

async function withStateDir(work: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await work(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A loopback port nothing listens on. */
function deadPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

const finished = {
  event: "recording_finished",
  channel: "alice",
  file: "/r/alice_2026-01-01_10-00-00.mp4",
  duration_seconds: 61.5,
  bytes: 2048,
  parts: 2,
  gaps: 1,
} as const;

const failed = { event: "encode_failed", input: "/r/a.mp4", reason: "boom" } as const;

Deno.test("Notifier delivers each event once to an ntfy and a JSON target, and empties the outbox", async () => {
  await withStateDir(async (stateDir) => {
    await using sink = startNotifySink();
    const n = notifier(stateDir, [
      `ntfy://bob:pw-secret@127.0.0.1:${sink.port}/streams`,
      `json://127.0.0.1:${sink.port}/hook`,
    ]);
    n.emit(finished);
    n.emit({ event: "recording_started", channel: "alice", base: "x" }); // not in events
    await n.drain();
    const ntfy = sink.requests.filter((r) => r.path === "/streams");
    assert.equal(ntfy.length, 1);
    assert.equal(ntfy[0]!.headers.title, "Recorded alice");
    assert.equal(ntfy[0]!.headers.authorization, `Basic ${btoa("bob:pw-secret")}`);
    assert.ok(ntfy[0]!.body.endsWith(", 1 gap(s)"), ntfy[0]!.body);
    const hook = sink.json("/hook");
    assert.deepEqual(
      hook.map((m) => [m.event, m.channel, m.bytes, m.gaps, m.type]),
      [["recording_finished", "alice", 2048, 1, "success"]],
    );
    assert.equal((await readOutboxView(stateDir)).waiting, 0);
  });
});

Deno.test("Notifier: a writer whose endpoint is down returns at once and leaves the event for a deliverer", async () => {
  await withStateDir(async (stateDir) => {
    const port = deadPort();
    const writer = notifier(stateDir, [`json://127.0.0.1:${port}/hook?+X-Token=tok-secret`]);
    writer.emit(failed);
    await writer.drain();
    const files = await listOutbox(stateDir);
    assert.equal(files.length, 1);
    const text = await Deno.readTextFile(`${stateDir}/outbox/new/${files[0]}`);
    assert.ok(!text.includes("tok-secret") && !text.includes(String(port)), text);
    await using sink = startNotifySink();
    const signal = new AbortController().signal;
    // A URL no longer in notify.urls cannot be delivered: dropped with a count.
    const other = await notifier(stateDir, [`json://127.0.0.1:${sink.port}/hook`]).flush(signal);
    assert.deepEqual([other.sent, other.dropped], [0, 1]);
    assert.equal((await readOutboxView(stateDir)).dropped, 1);
    assert.equal(sink.requests.length, 0);
  });
});

Deno.test("Notifier: what a writer could not send, a later flush delivers once", async () => {
  await withStateDir(async (stateDir) => {
    await using sink = startNotifySink("fail");
    const url = `json://127.0.0.1:${sink.port}/hook`;
    const writer = notifier(stateDir, [url]);
    writer.emit(failed);
    await writer.drain();
    assert.equal(sink.requests.length, 1, "one quick attempt");
    assert.equal((await readOutboxView(stateDir)).waiting, 1);
    sink.mode = "ok";
    const flushed = await notifier(stateDir, [url]).flush(new AbortController().signal);
    assert.deepEqual([flushed.sent, flushed.kept], [1, 0]);
    assert.deepEqual(sink.json("/hook").map((m) => m.reason), ["boom", "boom"]);
    assert.equal((await readOutboxView(stateDir)).waiting, 0);
  });
});

Deno.test("Notifier: the deliverer retries with back-off and sends once the endpoint answers", async () => {
  await withStateDir(async (stateDir) => {
    await using sink = startNotifySink();
    sink.failFirst = 3;
    const n = notifier(stateDir, [`json://127.0.0.1:${sink.port}/hook`], { role: "deliver" });
    const stop = new AbortController();
    const loop = n.runDelivery(stop.signal);
    n.emit(failed);
    await eventually("delivered", async () =>
      (await readOutboxView(stateDir)).waiting === 0 &&
      sink.requests.length === 4, 20_000);
    stop.abort();
    await loop;
    assert.equal(JSON.parse(sink.requests[3]!.body).reason, "boom");
  });
});

Deno.test("Notifier: the deliverer drops an event after give_up_after with a count", async () => {
  await withStateDir(async (stateDir) => {
    await using sink = startNotifySink("fail");
    const n = notifier(stateDir, [`json://127.0.0.1:${sink.port}/hook`], {
      role: "deliver",
      giveUpAfterMs: 30_000,
      // Real seconds for each request: under load a 2 s timeout could end an attempt before the
      // sink saw it, and the count below would miss it.
      timeoutMs: 30_000,
    });
    // Stored before the loop starts: its instant clock moves 2 s a pass, so under load the
    // write would otherwise date the event a minute back and it would be dropped at once.
    n.emit(failed);
    await n.drain();
    const stop = new AbortController();
    const loop = n.runDelivery(stop.signal);
    await eventually("dropped", async () => (await readOutboxView(stateDir)).dropped === 1, 20_000);
    stop.abort();
    await loop;
    // Attempts at 0 s, then 5, 10 and 20 s apart (passes every 2 s): the 4th is 30 s late.
    assert.equal(sink.requests.length, 4);
    assert.equal((await readOutboxView(stateDir)).waiting, 0);
  });
});

Deno.test("Notifier: two deliverers flushing one outbox at once send every event exactly once", async () => {
  await withStateDir(async (stateDir) => {
    await using sink = startNotifySink("fail");
    const url = `json://127.0.0.1:${sink.port}/hook`;
    const writer = notifier(stateDir, [url]);
    for (let i = 0; i < 20; i++) writer.emit({ ...failed, reason: `r${i}` });
    await writer.drain();
    assert.equal((await listOutbox(stateDir)).length, 20);
    sink.mode = "ok";
    sink.requests.length = 0;
    const signal = new AbortController().signal;
    const [a, b] = await Promise.all([
      notifier(stateDir, [url]).flush(signal),
      notifier(stateDir, [url]).flush(signal),
    ]);
    assert.equal(a.sent + b.sent, 20);
    const reasons = sink.json("/hook").map((m) => m.reason).sort();
    assert.deepEqual(reasons, Array.from({ length: 20 }, (_, i) => `r${i}`).sort());
  });
});
