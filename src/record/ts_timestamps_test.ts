import assert from "node:assert/strict";
import { join } from "node:path";
import { TS_PACKET_SIZE } from "./ts_packets.ts";
import { tsEdges, videoPts } from "./ts_timestamps.ts";

/** A packet starting a video PES with `pts` (below 2^30), or a filler packet. */
function packet(pts?: number): Uint8Array {
  const bytes = new Uint8Array(TS_PACKET_SIZE).fill(0xff);
  bytes.set([0x47, pts === undefined ? 0x01 : 0x41, 0x00, 0x10]);
  if (pts === undefined) return bytes;
  bytes.set([0x00, 0x00, 0x01, 0xe0, 0x00, 0x00, 0x80, 0x80, 0x05], 4);
  bytes.set([
    0x21 | ((pts >>> 29) & 0x0e),
    (pts >>> 22) & 0xff,
    ((pts >>> 14) & 0xfe) | 1,
    (pts >>> 7) & 0xff,
    ((pts << 1) & 0xfe) | 1,
  ], 13);
  return bytes;
}

/** `frames` video frames 3000 ticks apart, each followed by `filler` packets. */
function frames(count: number, filler: number): Uint8Array {
  const packets: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    packets.push(packet(90_000 + i * 3000));
    for (let f = 0; f < filler; f++) packets.push(packet());
  }
  const bytes = new Uint8Array(packets.length * TS_PACKET_SIZE);
  packets.forEach((p, i) => bytes.set(p, i * TS_PACKET_SIZE));
  return bytes;
}

Deno.test("videoPts() reads every frame of a range longer than 4 MiB, chunk edges included", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "part01.ts");
    // 300 frames of 100 packets: 5.6 MB, so the scan crosses several read chunks.
    const bytes = frames(300, 99);
    await Deno.writeFile(path, bytes);
    const times = await videoPts(path, 0, bytes.byteLength);
    assert.equal(times.length, 300);
    assert.deepEqual(times.slice(-2), [90_000 + 298 * 3000, 90_000 + 299 * 3000]);
    assert.deepEqual(await tsEdges(path), {
      first: 90_000,
      last: 90_000 + 299 * 3000,
      step: 3000,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
