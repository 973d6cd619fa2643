/**
 * Video presentation times read straight from MPEG-TS packets (no ffprobe run per part): what
 * finalize needs to say how long a dropped repeat was and whether the next part continues the
 * timeline or leaves a hole. One PES per video frame, as streamlink's sources (Twitch, ffmpeg)
 * write them.
 */
import { readInto } from "../util/read_at.ts";
import { TS_PACKET_SIZE } from "./ts_packets.ts";

/** 90 kHz ticks per second. */
export const TS_CLOCK = 90_000;

/** MPEG-TS timestamps are 33-bit. */
const WRAP = 2 ** 33;

/** Bytes read at a part's head or tail when only its first or last frames matter. */
const EDGE_BYTES = 4 * 1024 * 1024;

/** Bytes read at a time, whole packets: a scan holds one such buffer, not a 4 MiB edge. */
const CHUNK_BYTES = 1394 * TS_PACKET_SIZE;

/** PTS (90 kHz) of each video PES that starts in `[start, end)` of `path`, in file order. */
export async function videoPts(path: string, start: number, end: number): Promise<number[]> {
  using file = await Deno.open(path, { read: true });
  const from = start - (start % TS_PACKET_SIZE);
  const times: number[] = [];
  const chunk = new Uint8Array(Math.max(0, Math.min(CHUNK_BYTES, end - from)));
  for (let at = from; at < end; at += CHUNK_BYTES) {
    const want = Math.min(CHUNK_BYTES, end - at);
    const bytes = await readInto(file, at, chunk.subarray(0, want));
    for (let p = 0; p + TS_PACKET_SIZE <= bytes.byteLength; p += TS_PACKET_SIZE) {
      const pts = packetVideoPts(bytes, p);
      if (pts !== undefined) times.push(pts);
    }
    if (bytes.byteLength < want) break;
  }
  return times;
}

/** The PTS of a video PES starting in the packet at `p`, if one does. */
function packetVideoPts(bytes: Uint8Array, p: number): number | undefined {
  if (bytes[p] !== 0x47 || (bytes[p + 1]! & 0x40) === 0) return undefined;
  const control = (bytes[p + 3]! >> 4) & 3;
  if ((control & 1) === 0) return undefined;
  const payload = p + 4 + ((control & 2) ? 1 + bytes[p + 4]! : 0);
  if (payload + 14 > p + TS_PACKET_SIZE) return undefined;
  if (bytes[payload] !== 0 || bytes[payload + 1] !== 0 || bytes[payload + 2] !== 1) {
    return undefined;
  }
  const streamId = bytes[payload + 3]!;
  if (streamId < 0xe0 || streamId > 0xef || (bytes[payload + 7]! & 0x80) === 0) return undefined;
  const t = payload + 9;
  return (bytes[t]! >> 1 & 0x07) * 2 ** 30 + (bytes[t + 1]! << 22 | bytes[t + 2]! >> 1 << 15) +
    (bytes[t + 3]! << 7 | bytes[t + 4]! >> 1);
}

/** The shortest step between frames in `times` (90 kHz), or undefined with fewer than 2. */
export function frameStep(times: readonly number[]): number | undefined {
  const sorted = [...times].sort((a, b) => a - b);
  let step = Infinity;
  for (let i = 1; i < sorted.length; i++) {
    const d = sorted[i]! - sorted[i - 1]!;
    if (d > 0 && d < step) step = d;
  }
  return Number.isFinite(step) ? step : undefined;
}

/** First and last frames of a part from `start` on, and its frame step. */
export interface TsEdges {
  /** Earliest PTS near the head. */
  readonly first: number;
  /** Latest PTS near the tail (the end of the part is `last + step`). */
  readonly last: number;
  readonly step: number;
}

/** Reads the head (from `start`) and the tail of a part; undefined without two video frames. */
export async function tsEdges(path: string, start = 0): Promise<TsEdges | undefined> {
  const size = (await Deno.stat(path)).size;
  const head = await videoPts(path, start, Math.min(size, start + EDGE_BYTES));
  const tail = await videoPts(path, Math.max(start, size - EDGE_BYTES), size);
  const step = frameStep(head) ?? frameStep(tail);
  if (head.length === 0 || tail.length === 0 || step === undefined) return undefined;
  return { first: Math.min(...head.slice(0, 8)), last: Math.max(...tail.slice(-8)), step };
}

/** `to - from` in 90 kHz ticks across a 33-bit wrap (negative when `to` is earlier). */
export function ptsDelta(from: number, to: number): number {
  let delta = (to - from) % WRAP;
  if (delta > WRAP / 2) delta -= WRAP;
  if (delta < -WRAP / 2) delta += WRAP;
  return delta;
}

/** A jump forward longer than this is a new clock, not a hole (a broadcast lasts at most 48 h). */
export const NEW_CLOCK_SECONDS = 48 * 3600;

/** Seconds from the end of part `a` (its last frame plus one step) to the first frame of `b`. */
export function tsGapSeconds(a: Omit<TsEdges, "first">, b: Pick<TsEdges, "first">): number {
  return ptsDelta(a.last + a.step, b.first) / TS_CLOCK;
}
