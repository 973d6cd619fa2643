import assert from "node:assert/strict";
import { planFmp4Timeline } from "./fmp4_timeline.ts";
import { planFmp4Joins } from "./part_joins.ts";
import { concatBytes } from "../../testing/frames.ts";
import { partBytes, segmentFragments, writeParts } from "../../testing/fmp4_broadcast.ts";

/** Output start (seconds) of each planned fragment's tracks, keyed "video"/"audio". */
function outputStarts(plan: ReturnType<typeof planFmp4Timeline>) {
  return plan.fragments.map(({ fragment, times }) =>
    Object.fromEntries(
      fragment.tracks.map((track) => {
        const info = fragment.init.tracks.get(track.trackId)!;
        return [info.kind, times.get(track.trackId)! / info.timescale];
      }),
    )
  );
}

async function plannedAfterRepeats(parts: readonly Uint8Array[]) {
  const dir = await Deno.makeTempDir();
  try {
    const read = await writeParts(dir, parts);
    const { skips } = await planFmp4Joins(read);
    const kept = read.map((part, i) => ({
      ...part,
      layout: { ...part.layout, fragments: part.layout.fragments.slice(skips[i]) },
    }));
    return planFmp4Timeline(kept, 10);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("planFmp4Timeline() keeps a part that continues seamlessly on the same timeline (one moof per track)", async () => {
  // Part 1 ends after segment 8's video fragment; part 2 (repeats dropped) resumes with its audio.
  const [video8] = segmentFragments(8, true);
  const plan = await plannedAfterRepeats([
    concatBytes([partBytes(0, 8, true), video8!]),
    partBytes(4, 15, true),
  ]);
  const starts = outputStarts(plan);
  const videos = starts.flatMap((s) => s.video === undefined ? [] : [s.video]);
  assert.deepEqual(videos, Array.from({ length: 15 }, (_, i) => i * 2), "video every 2 s, no hole");
  // Audio stays with its video: segment 9's audio starts where its video does (within a frame).
  const audio9 = starts.filter((s) => s.audio !== undefined)[9]!.audio!;
  assert.ok(Math.abs(audio9 - 18) < 0.1, `audio of segment 9 at ${audio9} s`);
  assert.equal(plan.joins, 0);
});

Deno.test("planFmp4Timeline() keeps a part that continues seamlessly on the same timeline (both tracks in one moof)", async () => {
  const plan = await plannedAfterRepeats([partBytes(0, 8, false), partBytes(4, 15, false)]);
  const videos = outputStarts(plan).map((s) => s.video);
  assert.deepEqual(videos, Array.from({ length: 15 }, (_, i) => i * 2));
  assert.equal(plan.joins, 0);
});

Deno.test("planFmp4Timeline() still closes a hole between parts", async () => {
  const plan = await plannedAfterRepeats([partBytes(0, 8, false), partBytes(10, 15, false)]);
  const videos = outputStarts(plan).map((s) => s.video!);
  // Part 2 starts where part 1's output ends (its audio runs a few ms past its video).
  videos.forEach((at, i) => assert.ok(Math.abs(at - i * 2) < 0.05, `segment ${i} at ${at} s`));
  assert.equal(plan.joins, 1);
});
