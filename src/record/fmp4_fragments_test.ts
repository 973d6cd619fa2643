import assert from "node:assert/strict";
import { join } from "node:path";
import { partBytes } from "../../testing/fmp4_broadcast.ts";
import { freeRange } from "../proc/punch_hole.ts";
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
    // Zeros from a fragment's start into the middle of the next one's header.
    bytes.fill(0, at[2]!, at[3]! + 6);
    await Deno.writeFile(path, bytes);
    await assert.rejects(readFmp4Layout(path), /followed by no fragment/);
    await assert.rejects(trimFmp4ToCompleteFragments(path));
    assert.equal((await Deno.stat(path)).size, bytes.byteLength);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
