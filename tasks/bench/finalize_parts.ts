/**
 * Input of the finalize benchmark: a set of captured parts as big as a long recording, made
 * without a live stream. One high-bitrate clip is encoded once; every part is a stream copy of
 * it shifted in time, so the parts are real MPEG-TS with monotonic timestamps, cost seconds to
 * make, and are kept in `bench-output/cache/` for the next run.
 */
import { join } from "node:path";
import { runCommand } from "../../src/proc/spawn.ts";
import type { WorkloadContext } from "./workload.ts";
import { testPatternInputArgs } from "../../testing/test_pattern.ts";

/** Bump when the clip's encoding changes so old caches are not reused. */
const CACHE_VERSION = 1;
/** Seconds of the clip, and so of every part. */
export const PART_SECONDS = 60;
/** Roughly Twitch's ceiling for 1080p60 source quality is 8 Mbit/s; this is 4x that, to reach 2 GB quickly. */
const VIDEO_BITRATE = "30M";

/** The parts, in order, and their total size. */
export interface PartSet {
  readonly parts: string[];
  readonly bytes: number;
}

/** Returns `count` cached parts, making the clip and any missing part first. */
export async function ensureParts(context: WorkloadContext, count: number): Promise<PartSet> {
  const dir = join(context.cacheDir, `finalize-v${CACHE_VERSION}`);
  await Deno.mkdir(dir, { recursive: true });
  const clip = join(dir, "clip.ts");
  if (!(await isFile(clip))) await makeClip(context, clip);
  const parts: string[] = [];
  let bytes = 0;
  for (let index = 1; index <= count; index++) {
    const part = join(dir, `part${String(index).padStart(2, "0")}.ts`);
    if (!(await isFile(part))) {
      context.say(`making part ${index} of ${count} (stream copy of the clip)`);
      await shiftedCopy(clip, part, (index - 1) * PART_SECONDS);
    }
    parts.push(part);
    bytes += (await Deno.stat(part)).size;
  }
  return { parts, bytes };
}

/**
 * Parts shaped like a real Twitch capture, as many clip copies as {@link ensureParts} uses:
 * each part holds two copies byte-joined (streamlink does not split its output at a timestamp
 * jump), one of them an ad break on its own clock (timestamps jump back to 7 s and forward
 * again after it) and one an encoder restart (timestamps start again at 0 mid-part).
 */
export async function ensureJumpyParts(context: WorkloadContext, count: number): Promise<PartSet> {
  const dir = join(context.cacheDir, `finalize-v${CACHE_VERSION}`);
  const clip = join(dir, "clip.ts");
  if (!(await isFile(clip))) await makeClip(context, clip);
  const offsets: number[] = [];
  let clock = 0;
  for (let piece = 0; piece < count; piece++) {
    if (piece === 2) {
      offsets.push(7);
      continue;
    }
    if (piece === 5) clock = 0;
    offsets.push(clock);
    clock += PART_SECONDS;
  }
  const parts: string[] = [];
  let bytes = 0;
  for (let first = 0; first < offsets.length; first += 2) {
    const pair = offsets.slice(first, first + 2);
    const part = join(dir, `jumpy${String(first / 2 + 1).padStart(2, "0")}-${pair.join("-")}.ts`);
    if (!(await isFile(part))) {
      context.say(`making jumpy part ${first / 2 + 1} (clip copies at ${pair.join(" s, ")} s)`);
      const pieces: string[] = [];
      for (const offset of pair) {
        const piece = join(dir, `piece-${offset}.ts`);
        if (!(await isFile(piece))) await shiftedCopy(clip, piece, offset);
        pieces.push(piece);
      }
      await joinFiles(pieces, part);
    }
    parts.push(part);
    bytes += (await Deno.stat(part)).size;
  }
  return { parts, bytes };
}

async function joinFiles(pieces: readonly string[], path: string): Promise<void> {
  const partial = `${path}.partial`;
  const output = await Deno.open(partial, { write: true, create: true, truncate: true });
  try {
    for (const piece of pieces) {
      const input = await Deno.open(piece, { read: true });
      await input.readable.pipeTo(output.writable, { preventClose: true });
    }
  } finally {
    output.close();
  }
  await Deno.rename(partial, path);
}

/** How many parts reach `targetBytes`, judging from the clip's size once it exists. */
export async function partsFor(context: WorkloadContext, targetBytes: number): Promise<number> {
  const probe = await ensureParts(context, 1);
  return Math.max(1, Math.round(targetBytes / probe.bytes));
}

/** 1080p30 test pattern + tone, x264 ultrafast at a fixed high bitrate, as MPEG-TS. */
async function makeClip(context: WorkloadContext, path: string): Promise<void> {
  const partial = `${path}.partial`;
  const args = [
    ...testPatternInputArgs({
      size: "1920x1080",
      fps: 30,
      sampleRate: 48000,
      seconds: PART_SECONDS,
    }),
    "-c:v",
    "libx264",
    "-preset",
    "ultrafast",
    "-b:v",
    VIDEO_BITRATE,
    "-maxrate",
    VIDEO_BITRATE,
    "-bufsize",
    VIDEO_BITRATE,
    "-g",
    "60",
    "-pix_fmt",
    "yuv420p",
    "-c:a",
    "aac",
    "-b:a",
    "160k",
    "-f",
    "mpegts",
    partial,
  ];
  const result = await context.during(
    `encoding a ${PART_SECONDS} s 1080p clip at ${VIDEO_BITRATE}bit/s (once, then cached)`,
    runCommand("ffmpeg", args),
    async () => `${await sizeMb(partial)} MB so far`,
  );
  if (result.code !== 0) throw new Error(`ffmpeg could not make the clip: ${result.stderr}`);
  await Deno.rename(partial, path);
}

/** Copies `clip` with every timestamp moved `offsetSeconds` later (no re-encoding). */
async function shiftedCopy(clip: string, part: string, offsetSeconds: number): Promise<void> {
  const partial = `${part}.partial`;
  const result = await runCommand("ffmpeg", [
    "-hide_banner",
    "-nostdin",
    "-loglevel",
    "error",
    "-y",
    "-i",
    clip,
    "-map",
    "0",
    "-c",
    "copy",
    "-output_ts_offset",
    String(offsetSeconds),
    "-f",
    "mpegts",
    partial,
  ]);
  if (result.code !== 0) throw new Error(`ffmpeg could not copy the clip: ${result.stderr}`);
  await Deno.rename(partial, part);
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

async function sizeMb(path: string): Promise<string> {
  try {
    return ((await Deno.stat(path)).size / 1e6).toFixed(0);
  } catch {
    return "0";
  }
}
