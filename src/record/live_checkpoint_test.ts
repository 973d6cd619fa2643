import assert from "node:assert/strict";
import type { Fmp4Layout } from "./fmp4_fragments.ts";
import { FedVideoIndex } from "./live_checkpoint.ts";
import { TS_PACKET_SIZE } from "./ts_packets.ts";

const PART = "/rec/u_part01.ts";
const STEP = 3000;

/** A PES timestamp field (prefix nibble `marker`). */
function stamp(value: number, marker: number): number[] {
  return [
    (marker << 4) | ((Math.floor(value / 2 ** 30) & 7) << 1) | 1,
    (value >> 22) & 0xff,
    (((value >> 15) & 0x7f) << 1) | 1,
    (value >> 7) & 0xff,
    ((value & 0x7f) << 1) | 1,
  ];
}

/** One TS packet starting video frame `n` (a keyframe every `gop`, random access flagged). */
function framePacket(n: number, gop: number): Uint8Array {
  const packet = new Uint8Array(TS_PACKET_SIZE).fill(0xff);
  const key = n % gop === 0;
  packet.set([0x47, 0x41, 0x00, 0x30, 1, key ? 0x40 : 0x00]);
  const dts = 900_000 + n * STEP;
  packet.set([0, 0, 1, 0xe0, 0, 0, 0x80, 0xc0, 10, ...stamp(dts + STEP, 3), ...stamp(dts, 1)], 6);
  return packet;
}

/** A live file layout whose fragments hold `samples` video samples each, 1000 bytes apiece. */
function layout(samples: readonly number[]): Fmp4Layout {
  const init = {
    bytes: new Uint8Array(),
    tracks: new Map([[1, {
      id: 1,
      timescale: 90_000,
      kind: "video" as const,
      codec: "avc1",
      defaultDuration: STEP,
    }]]),
  };
  return {
    inits: [init],
    completeBytes: 1000 * samples.length,
    size: 1000 * samples.length,
    fragments: samples.map((count, i) => ({
      init,
      moof: new Uint8Array(),
      dataStart: 1000 * i + 100,
      end: 1000 * (i + 1),
      tracks: [{
        trackId: 1,
        tfdtOffset: 0,
        tfdtVersion: 1,
        baseTime: 0,
        duration: count * STEP,
        samples: count,
      }],
    })),
  };
}

/** An index fed `frames` frames, a keyframe every `gop`, in one chunk. */
function fedIndex(frames: number, gop: number): FedVideoIndex {
  const index = new FedVideoIndex(0);
  const bytes = new Uint8Array(frames * TS_PACKET_SIZE);
  for (let n = 0; n < frames; n++) bytes.set(framePacket(n, gop), n * TS_PACKET_SIZE);
  index.fed(PART, 0, bytes);
  return index;
}

Deno.test("FedVideoIndex.plan() places the checkpoint at the keyframe that starts the fragment after the last one", () => {
  const plan = fedIndex(50, 5).plan(layout([5, 5, 5, 5, 5, 5, 5, 5, 5]));
  assert.deepEqual(plan?.checkpoint, { part: PART, offset: 45 * TS_PACKET_SIZE, live_bytes: 9000 });
});

Deno.test("FedVideoIndex counts a frame ffmpeg dropped out of the keyframes after it", () => {
  const dropped = layout([5, 4, 5, 5, 5, 5, 5, 5, 5]);
  const unaware = fedIndex(50, 5).plan(dropped);
  assert.equal(unaware?.checkpoint.offset, 5 * TS_PACKET_SIZE, "stuck before the drop");
  const index = fedIndex(50, 5);
  index.ffmpegSaid("  Stream #0:0[0x100]: Video: h264 (High) ([27][0][0][0] / 0x001B)");
  index.ffmpegSaid(
    `[mpegts] Packet corrupt (stream = 0, dts = ${900_000 + 7 * STEP}), dropping it.`,
  );
  index.ffmpegSaid(
    `[mpegts] Packet corrupt (stream = 1, dts = ${900_000 + 20 * STEP}), dropping it.`,
  );
  assert.deepEqual(index.plan(dropped)?.checkpoint, {
    part: PART,
    offset: 45 * TS_PACKET_SIZE,
    live_bytes: 9000,
  });
});

Deno.test("FedVideoIndex frees nothing more once a drop cannot be placed", () => {
  const index = fedIndex(50, 5);
  index.ffmpegSaid(
    `[mpegts] Packet corrupt (stream = 0, dts = ${900_000 + 7 * STEP}), dropping it.`,
  );
  assert.equal(index.plan(layout([5, 4, 5, 5, 5, 5, 5, 5, 5])), undefined);
});
