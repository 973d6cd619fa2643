import assert from "node:assert/strict";
import type { JournalEntry } from "./chat_journal.ts";
import { DeliveredTimeline } from "./delivered_timeline.ts";

const T0 = 1_700_000_000_000;

/** Samples of a part whose first frame is at wall time `anchor`, taken every second. */
function samples(part: string, anchor: number, from: number, seconds: number): JournalEntry[] {
  const entries: JournalEntry[] = [{ k: "part", w: anchor - 3000, part }];
  for (let d = from; d <= seconds; d++) {
    entries.push({ k: "sample", w: anchor + d * 1000, part, d });
  }
  return entries;
}

Deno.test("DeliveredTimeline places moments by the samples' anchor, not the streamlink start", () => {
  const timeline = new DeliveredTimeline(
    [{ path: "p1", range: { start: 100, end: 120 } }],
    samples("p1", T0, 3, 20),
  );
  assert.equal(timeline.position(T0 + 5500), 5.5);
  assert.equal(timeline.position(T0 - 4000), 0, "before the first frame: at 0");
  assert.equal(timeline.position(T0 + 21_000), 20, "within the grace after the end");
  assert.equal(timeline.position(T0 + 30_000), undefined, "after the broadcast: dropped");
});

Deno.test("DeliveredTimeline keeps short holes between parts, closes long ones, outages land at the gap", () => {
  const entries = [...samples("p1", T0, 3, 10), ...samples("p2", T0 + 18_000, 3, 10)];
  // Part 2 starts 8 s later on the broadcast's clock: a hole finalize keeps.
  const kept = new DeliveredTimeline([
    { path: "p1", range: { start: 100, end: 110 } },
    { path: "p2", range: { start: 118, end: 128 } },
  ], entries);
  assert.equal(kept.position(T0 + 18_000 + 2000), 10 + 8 + 2);
  assert.equal(kept.position(T0 + 14_000), 18, "during the outage: at the gap");
  // 30 s later: finalize closes the jump.
  const closed = new DeliveredTimeline([
    { path: "p1", range: { start: 100, end: 110 } },
    { path: "p2", range: { start: 140, end: 150 } },
  ], entries);
  assert.equal(closed.position(T0 + 18_000 + 2000), 12);
  assert.equal(closed.totalSeconds, 20);
});

Deno.test("DeliveredTimeline falls back to the wall clock for parts without a clock (fMP4)", () => {
  const entries: JournalEntry[] = [
    { k: "part", w: T0, part: "p1" },
    { k: "irc", w: T0 + 30_000, line: "x" },
  ];
  const timeline = new DeliveredTimeline([{ path: "p1", range: null }], entries);
  assert.equal(timeline.position(T0 + 12_000), 12);
  assert.equal(timeline.totalSeconds, 30);
});

Deno.test("DeliveredTimeline follows a part written in real time across an ad on its own clock", () => {
  // 8 s of broadcast, a 10 s ad on another clock (no samples: the file's clock runs backwards),
  // then the broadcast clock resumes where it stopped: the file holds 8 + 10 + 6 s.
  const entries: JournalEntry[] = [
    ...[2, 4, 6, 8].map((d) => ({ k: "sample" as const, w: T0 + d * 1000, part: "p1", d })),
    ...[10, 12, 14].map((d) => ({ k: "sample" as const, w: T0 + (d + 10) * 1000, part: "p1", d })),
  ];
  const timeline = new DeliveredTimeline([{ path: "p1", range: { start: 0, end: 14 } }], entries);
  assert.equal(timeline.totalSeconds, 24);
  assert.equal(timeline.position(T0 + 5000), 5);
  assert.equal(timeline.position(T0 + 13_000), 13, "during the ad");
  assert.equal(timeline.position(T0 + 22_000), 22, "after the ad");
});

Deno.test("DeliveredTimeline places a part back-filled from the VOD on its neighbours' clock", () => {
  // The VOD filled the first 10 s (nobody watched it being written); live capture follows.
  const timeline = new DeliveredTimeline([
    { path: "vod", range: { start: 100, end: 110 } },
    { path: "p1", range: { start: 110, end: 130 } },
  ], samples("p1", T0, 3, 20));
  assert.equal(timeline.position(T0 - 4000), 6, "a message during the filled start lands in it");
  assert.equal(timeline.position(T0 + 5000), 15, "live messages come after the filled seconds");
  assert.equal(timeline.totalSeconds, 30);
});

Deno.test("DeliveredTimeline skips what a part repeats of the one before, as finalize does", () => {
  // Part 2 reached back 10 s into part 1 (a restarted streamlink in the live window).
  const timeline = new DeliveredTimeline([
    { path: "p1", range: { start: 100, end: 120 } },
    { path: "p2", range: { start: 110, end: 140 } },
  ], [...samples("p1", T0, 3, 20), ...samples("p2", T0 + 10_000, 3, 30)]);
  assert.equal(timeline.position(T0 + 25_000), 25, "broadcast second 125 is at 25 s in the file");
  assert.equal(timeline.totalSeconds, 40);
});
