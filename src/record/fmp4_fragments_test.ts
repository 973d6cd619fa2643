import assert from "node:assert/strict";
import { join } from "node:path";
import { BROADCAST_INIT, partBytes } from "../../testing/fmp4_broadcast.ts";
import { fragment } from "../../testing/fmp4_builder.ts";
import { concatBytes } from "../../testing/frames.ts";
import { applyFreeStep, freeRange, freeRangeSteps } from "../proc/punch_hole.ts";
import { readFmp4Layout, trimFmp4ToCompleteFragments } from "./fmp4_fragments.ts";

/** Where each fragment's `moof` starts. */
function starts(layout: Awaited<ReturnType<typeof readFmp4Layout>>): number[] {
  return layout.fragments.map((f) => f.dataStart - f.moof.byteLength);
}

Deno.test("readFmp4Layout reads a part freed between two fragments as the fragments around the zeros", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "part01.ts");
    await Deno.writeFile(path, partBytes(0, 10, false));
    const whole = await readFmp4Layout(path);
    const at = starts(whole);
    assert.equal(at.length, 10);

    await freeRange(path, at[2]!, at[7]!);
    const freed = await readFmp4Layout(path);
    assert.deepEqual(starts(freed), [...at.slice(0, 2), ...at.slice(7)]);
    assert.deepEqual(freed.fragments.map((f) => f.afterFreed ?? false), [
      false,
      false,
      true,
      false,
      false,
    ]);
    assert.deepEqual(freed.fragments[2]!.tracks, whole.fragments[7]!.tracks);
    assert.equal(freed.completeBytes, freed.size, "nothing after the zeros is a cut-off write");
    assert.equal(await trimFmp4ToCompleteFragments(path), 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readFmp4Layout refuses zeros that no fragment follows, so recover never trims what comes after", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "part01.ts");
    const bytes = partBytes(0, 6, false);
    await Deno.writeFile(path, bytes);
    const at = starts(await readFmp4Layout(path));
    // Zeros from a fragment's start into the middle of the last one's header.
    bytes.fill(0, at[2]!, at[5]! + 6);
    await Deno.writeFile(path, bytes);
    await assert.rejects(readFmp4Layout(path), /followed by no fragment/);
    await assert.rejects(trimFmp4ToCompleteFragments(path));
    assert.equal((await Deno.stat(path)).size, bytes.byteLength);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readFmp4Layout reads a part whose recorder was killed between the writes freeing a range: whole fragments only, none after it lost", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // Fragments of about 5.9 KB, so a freed range has whole blocks and pieces of blocks.
    const bytes = concatBytes([
      BROADCAST_INIT,
      ...Array.from({ length: 12 }, (_, i) =>
        fragment(i + 1, [
          {
            id: 1,
            baseTime: i * 180_000,
            sampleDuration: 3000,
            samples: 60,
            seed: i,
            payloadBytes: 5000,
          },
          {
            id: 2,
            baseTime: i * 96_256,
            sampleDuration: 1024,
            samples: 94,
            seed: i,
            payloadBytes: 700,
          },
        ])),
    ]);
    const path = join(dir, "part01.ts");
    await Deno.writeFile(path, bytes);
    const whole = await readFmp4Layout(path);
    const at = starts(whole);
    const [from, to] = [at[2]!, at[8]!];
    const steps = freeRangeSteps(from, to);
    assert.deepEqual(steps.map((step) => step.kind), ["zero", "punch", "zero"]);

    for (let done = 0; done <= steps.length; done++) {
      await Deno.writeFile(path, bytes);
      for (const step of steps.slice(0, done)) await applyFreeStep(path, step);
      const read = await readFmp4Layout(path);
      const label = `after ${done} of the writes`;
      assert.equal(read.completeBytes, read.size, `${label}: nothing trimmed`);
      const kept = starts(read);
      assert.deepEqual(kept.filter((start) => start < from || start >= to), [
        ...at.slice(0, 2),
        ...at.slice(8),
      ], label);
      for (const fragment of read.fragments) {
        const start = fragment.dataStart - fragment.moof.byteLength;
        const original = whole.fragments[at.indexOf(start)]!;
        assert.equal(fragment.end, original.end, `${label}: the fragment at ${start} is whole`);
        assert.deepEqual(fragment.tracks, original.tracks, label);
      }
      if (done === steps.length) assert.deepEqual(kept, [...at.slice(0, 2), ...at.slice(8)]);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
