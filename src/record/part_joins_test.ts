import assert from "node:assert/strict";
import { planFmp4Joins } from "./part_joins.ts";
import { concatBytes } from "../../testing/frames.ts";
import { partBytes, segmentFragments, writeParts } from "../../testing/fmp4_broadcast.ts";

async function inTempDir(check: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await check(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("planFmp4Joins() measures the repeat and the seam on video when each track has its own moof", async () => {
  await inTempDir(async (dir) => {
    // Part 1 was cut between the video and the audio fragment of segment 8 (16-18 s); part 2
    // reaches back to segment 4: it repeats video 4-8 and audio 4-7, its audio 8 is new.
    const [video8] = segmentFragments(8, true);
    const parts = await writeParts(dir, [
      concatBytes([partBytes(0, 8, true), video8!]),
      partBytes(4, 15, true),
    ]);
    const plan = await planFmp4Joins(parts);
    assert.deepEqual(plan.skips, [0, 9]);
    assert.equal(plan.repeatsSeconds, 10, "five segments of video, 2 s each");
    assert.deepEqual(plan.holes, [], "part 2 carries on where part 1's video ends");
  });
});

Deno.test("planFmp4Joins() measures a hole between parts on video when each track has its own moof", async () => {
  await inTempDir(async (dir) => {
    // Segments 8 and 9 (16-20 s) are in neither part.
    const parts = await writeParts(dir, [partBytes(0, 8, true), partBytes(10, 15, true)]);
    const plan = await planFmp4Joins(parts);
    assert.deepEqual(plan.skips, [0, 0]);
    assert.deepEqual(plan.holes, [{ at_seconds: 16, seconds: 4 }]);
  });
});
