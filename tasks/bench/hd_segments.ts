/**
 * A Twitch-like stream for the local HLS server: 1080p30 at 6 Mbit/s in 1 s segments (the
 * test segments are 320x180 at ~0.5 Mbit/s). streamlink's cost grows with the bitrate while
 * the recorder's does not, so comparing the two on the test stream would flatter streamlink.
 * Encoded once and kept in `bench-output/cache/`.
 */
import { join } from "node:path";
import { runCommand } from "../../src/proc/spawn.ts";
import type { SegmentSet } from "../../testing/segments.ts";
import type { WorkloadContext } from "./workload.ts";
import { testPatternInputArgs } from "../../testing/test_pattern.ts";

/** Bump when the encoding changes so old caches are not reused. */
const CACHE_VERSION = 2;
/**
 * Longer than any capture of the benchmarks: the server loops over the segments, and the loop
 * point is a timestamp jump back (finalize closes it, but the benchmarks measure clean captures).
 */
const SEGMENT_COUNT = 120;
/** Twitch's recommended ceiling for 1080p is 6 Mbit/s. */
export const HD_BITRATE = "6M";

/** Returns the cached segment set, encoding it first when missing. */
export async function ensureHdSegments(context: WorkloadContext): Promise<SegmentSet> {
  const dir = join(context.cacheDir, `hd-segments-v${CACHE_VERSION}`);
  const files = Array.from(
    { length: SEGMENT_COUNT },
    (_, i) => join(dir, `seg${String(i).padStart(3, "0")}.ts`),
  );
  const done = join(dir, "complete");
  if (!(await exists(done))) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await Deno.mkdir(dir, { recursive: true });
    const result = await context.during(
      `encoding ${SEGMENT_COUNT} s of 1080p30 at ${HD_BITRATE}bit/s for the HLS server (once, then cached)`,
      runCommand("ffmpeg", encodeArgs(dir)),
    );
    if (result.code !== 0) throw new Error(`ffmpeg could not make HD segments: ${result.stderr}`);
    for (const file of files) {
      if (!(await exists(file))) throw new Error(`ffmpeg did not write "${file}"`);
    }
    await Deno.writeTextFile(done, "");
  }
  return { dir, count: SEGMENT_COUNT, segmentSeconds: 1, files };
}

function encodeArgs(dir: string): string[] {
  return [
    ...testPatternInputArgs({
      size: "1920x1080",
      fps: 30,
      sampleRate: 48000,
      seconds: SEGMENT_COUNT,
    }),
    "-c:v",
    "libx264",
    "-preset",
    "ultrafast",
    "-b:v",
    HD_BITRATE,
    "-maxrate",
    HD_BITRATE,
    "-bufsize",
    HD_BITRATE,
    "-g",
    "30",
    "-force_key_frames",
    "expr:gte(t,n_forced*1)",
    "-pix_fmt",
    "yuv420p",
    "-c:a",
    "aac",
    "-b:a",
    "160k",
    "-f",
    "hls",
    "-hls_time",
    "1",
    "-hls_list_size",
    "0",
    "-hls_segment_filename",
    join(dir, "seg%03d.ts"),
    join(dir, "source.m3u8"),
  ];
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
