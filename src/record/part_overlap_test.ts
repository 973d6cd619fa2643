import assert from "node:assert/strict";
import { join } from "node:path";
import { tsRepeatedBytes } from "./part_overlap.ts";

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
