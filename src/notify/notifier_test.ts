import assert from "node:assert/strict";
import { startNotifySink } from "../../testing/notify_sink.ts";
import type { Clock } from "../util/clock.ts";
import { Notifier } from "./notifier.ts";
import { parseNotifyUrl } from "./notify_url.ts";

/** A clock whose sleeps pass at once (and move time on). */
function instantClock(): Clock {
  let now = 1_000_000;
  return {
    now: () => now,
    sleep: (ms) => {
      now += ms;
      return Promise.resolve();
    },
  };
}

function notifier(urls: string[], options: { events?: string[]; giveUpAfterMs?: number } = {}) {
  return new Notifier({
    targets: urls.map(parseNotifyUrl),
    events: options.events ?? ["recording_finished", "encode_failed"],
    giveUpAfterMs: options.giveUpAfterMs ?? 300_000,
    clock: instantClock(),
    send: {
      fetch,
      apprise: () => Promise.reject(new Error("no apprise")),
      timeoutMs: 2_000,
    },
  });
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

Deno.test("Notifier delivers each event once to an ntfy and a JSON target, with its fields", async () => {
  await using sink = startNotifySink();
  const n = notifier([
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
  assert.ok(ntfy[0]!.body.startsWith("alice_2026-01-01_10-00-00.mp4: "), ntfy[0]!.body);
  assert.ok(ntfy[0]!.body.endsWith(", 1 gap(s)"), ntfy[0]!.body);
  const hook = sink.json("/hook");
  assert.equal(hook.length, 1);
  assert.deepEqual(
    [hook[0]!.event, hook[0]!.channel, hook[0]!.bytes, hook[0]!.gaps, hook[0]!.type],
    ["recording_finished", "alice", 2048, 1, "success"],
  );
});

Deno.test("Notifier retries a failing target with back-off and delivers once it answers", async () => {
  await using sink = startNotifySink();
  sink.failFirst = 3;
  const n = notifier([`json://127.0.0.1:${sink.port}/hook`]);
  n.emit({ event: "encode_failed", input: "/r/a.mp4", reason: "boom" });
  await n.drain();
  assert.equal(sink.requests.length, 4);
  assert.equal(JSON.parse(sink.requests[3]!.body).reason, "boom");
});

Deno.test("Notifier gives up after give_up_after on a target that is down", async () => {
  await using sink = startNotifySink("fail");
  const n = notifier([`json://127.0.0.1:${sink.port}/hook`], { giveUpAfterMs: 30_000 });
  n.emit({ event: "encode_failed", input: "/r/a.mp4", reason: "boom" });
  await n.drain();
  // 5 + 10 + 15 (capped by what is left) s of pauses: 4 attempts, then dropped.
  assert.equal(sink.requests.length, 4);
});
