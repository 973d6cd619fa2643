import assert from "node:assert/strict";
import { join } from "node:path";
import { GrowingMediaDuration, mediaDuration, tsTimeRange } from "./media_duration.ts";

const PACKET = 188;

/** One MPEG-TS packet of `pid`; with `pcr` (a 90 kHz base) it carries a PCR. */
function packet(pid: number, pcr?: number): Uint8Array {
  const bytes = new Uint8Array(PACKET).fill(0xff);
  bytes[0] = 0x47;
  bytes[1] = (pid >> 8) & 0x1f;
  bytes[2] = pid & 0xff;
  if (pcr === undefined) {
    bytes[3] = 0x10; // payload only
    return bytes;
  }
  bytes[3] = 0x30; // adaptation field and payload
  bytes[4] = 7;
  bytes[5] = 0x10; // PCR flag
  const base = Math.floor(pcr);
  bytes[6] = Math.floor(base / 2 ** 25) & 0xff;
  bytes[7] = Math.floor(base / 2 ** 17) & 0xff;
  bytes[8] = Math.floor(base / 2 ** 9) & 0xff;
  bytes[9] = Math.floor(base / 2) & 0xff;
  bytes[10] = (base & 1) << 7;
  return bytes;
}

/** `seconds` of stream from `start` s: a PCR each 0.1 s, `filler` packets of another PID between. */
function stream(start: number, seconds: number, filler: number): Uint8Array[] {
  const packets: Uint8Array[] = [];
  for (let tenth = 0; tenth <= seconds * 10; tenth++) {
    packets.push(packet(0x100, (start + tenth / 10) * 90_000));
    for (let i = 0; i < filler; i++) packets.push(packet(0x101));
  }
  return packets;
}

async function append(path: string, packets: Uint8Array[]): Promise<void> {
  const bytes = new Uint8Array(packets.length * PACKET);
  packets.forEach((p, i) => bytes.set(p, i * PACKET));
  await Deno.writeFile(path, bytes, { append: true });
}

Deno.test("GrowingMediaDuration.sample() follows a growing MPEG-TS file as mediaDuration reads it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "part01.ts");
    const growing = new GrowingMediaDuration(path);
    assert.equal(await growing.sample(), null, "no file yet");
    await append(path, stream(100, 2, 20));
    assert.equal(await growing.sample(), 2);
    await append(path, stream(102.1, 3, 20));
    const seconds = await growing.sample();
    assert.ok(Math.abs(seconds! - 5.1) < 1e-9, `${seconds}`);
    assert.equal(await mediaDuration(path), seconds);
    // Over 64 KiB without a PCR at the end: the tail is read in wider windows.
    await append(path, Array.from({ length: 1000 }, () => packet(0x101)));
    assert.equal(await growing.sample(), seconds);
    assert.deepEqual(await tsTimeRange(path), { start: 100, end: 105.1 });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("GrowingMediaDuration.sample() reads the first PCR again for a new file under the same name", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "part01.ts");
    const growing = new GrowingMediaDuration(path);
    await append(path, stream(100, 4, 5));
    assert.equal(await growing.sample(), 4);
    const replacement = join(dir, "next.ts");
    await append(replacement, stream(500, 1, 5));
    await Deno.rename(replacement, path);
    assert.equal(await growing.sample(), 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mediaDuration() finds a first PCR beyond the head's first 64 KiB", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "late.ts");
    await append(path, [...Array.from({ length: 600 }, () => packet(0x101)), ...stream(7, 2, 3)]);
    assert.equal(await mediaDuration(path), 2);
    assert.equal(await new GrowingMediaDuration(path).sample(), 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
