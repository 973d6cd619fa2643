import assert from "node:assert/strict";
import { join } from "node:path";
import { fmp4RepeatedFragments, tsRepeatedBytes } from "./part_overlap.ts";
import { concatBytes } from "../../testing/frames.ts";
import {
  BROADCAST_INIT,
  partBytes,
  segmentFragments,
  writeParts,
} from "../../testing/fmp4_broadcast.ts";

/** `count` MPEG-TS-like packets: sync byte, then bytes no other packet repeats. */
function packets(count: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(count * 188);
  let state = Math.imul(seed, 2654435761) >>> 0;
  for (let i = 0; i < bytes.length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    bytes[i] = i % 188 === 0 ? 0x47 : state >>> 24;
  }
  return bytes;
}

function join2(a: Uint8Array, b: Uint8Array): Uint8Array {
  const all = new Uint8Array(a.length + b.length);
  all.set(a);
  all.set(b, a.length);
  return all;
}

async function withParts(
  earlier: Uint8Array,
  later: Uint8Array,
  check: (a: string, b: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    const a = join(dir, "a.ts");
    const b = join(dir, "b.ts");
    await Deno.writeFile(a, earlier);
    await Deno.writeFile(b, later);
    await check(a, b);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

// 30,000 packets (5.6 MB): the repeat starts several scan reads into the earlier part.
const stream = packets(30_000, 1);

Deno.test("tsRepeatedBytes() finds the head of a later part that repeats the end of the earlier one", async () => {
  const earlier = stream.subarray(0, 25_000 * 188);
  const later = stream.subarray(20_000 * 188);
  await withParts(earlier, later, async (a, b) => {
    assert.equal(await tsRepeatedBytes(a, b), 5_000 * 188);
  });
});

Deno.test("tsRepeatedBytes() joins seamlessly after an earlier part cut mid-packet", async () => {
  const cut = 25_000 * 188 + 77;
  const earlier = stream.subarray(0, cut);
  const later = stream.subarray(21_000 * 188);
  await withParts(earlier, later, async (a, b) => {
    const skip = await tsRepeatedBytes(a, b);
    assert.deepEqual(join2(earlier, later.subarray(skip)), stream);
  });
});

Deno.test("tsRepeatedBytes() drops a later part held whole by the end of the earlier one", async () => {
  const earlier = stream.subarray(0, 25_000 * 188);
  const later = stream.subarray(22_000 * 188, 24_000 * 188);
  await withParts(earlier, later, async (a, b) => {
    assert.equal(await tsRepeatedBytes(a, b), later.length);
  });
});

Deno.test("tsRepeatedBytes() keeps a later part with other bytes (an encoder restart) whole", async () => {
  const other = packets(3_000, 2);
  await withParts(stream, other, async (a, b) => {
    assert.equal(await tsRepeatedBytes(a, b), 0);
  });
  // Only the first packets equal (a coincidence), the rest differs: nothing is dropped.
  const lookalike = join2(stream.subarray(28_000 * 188, 28_010 * 188), other);
  await withParts(stream, lookalike, async (a, b) => {
    assert.equal(await tsRepeatedBytes(a, b), 0);
  });
});

Deno.test("tsRepeatedBytes() takes the repeat at the end of the earlier part over content that recurs", async () => {
  // A source that loops: the earlier part holds the loop once and then its start again.
  const loop = stream.subarray(0, 10_000 * 188);
  const earlier = join2(loop, loop.subarray(0, 3_000 * 188));
  const later = loop.subarray(2_000 * 188, 6_000 * 188);
  await withParts(earlier, later, async (a, b) => {
    assert.equal(await tsRepeatedBytes(a, b), 1_000 * 188);
  });
});

Deno.test("fmp4RepeatedFragments() drops exactly the fragments both parts hold, at every cut", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const separate of [false, true]) {
      const perSegment = separate ? 2 : 1;
      for (const from of [0, 3, 7, 8]) {
        // Part 1: segments 0-7, then the start of segment 8 (its first fragment when separate,
        // else half its bytes); part 2 reaches back to segment `from`.
        const eight = segmentFragments(8, separate);
        const cut = separate ? eight[0]! : eight[0]!.subarray(0, eight[0]!.byteLength / 2);
        const [earlier, later] = await writeParts(dir, [
          concatBytes([partBytes(0, 8, separate), cut]),
          partBytes(from, 12, separate),
        ]);
        const whole = (8 - from) * perSegment + (separate && from <= 8 ? 1 : 0);
        assert.equal(
          await fmp4RepeatedFragments(earlier!, later!),
          whole,
          `separate ${separate}, part 2 from segment ${from}`,
        );
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fmp4RepeatedFragments() keeps the first fragment after a seam and a restarted clock", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // Part 2 starts right after part 1: nothing repeats, its first fragment is kept.
    const [a, b] = await writeParts(dir, [partBytes(0, 8, false), partBytes(8, 12, false)]);
    assert.equal(await fmp4RepeatedFragments(a!, b!), 0);
    // An encoder restart: the same pictures and sounds on a clock from 0 are other fragments.
    const restarted = concatBytes([
      BROADCAST_INIT,
      ...Array.from({ length: 4 }, (_, i) => segmentFragments(6 + i, false, 0)).flat(),
    ]);
    const [c, d] = await writeParts(dir, [partBytes(0, 8, false), restarted]);
    assert.equal(await fmp4RepeatedFragments(c!, d!), 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
