/**
 * Test media for the fake live HLS server: a few minutes of 1 s MPEG-TS
 * segments, encoded once by ffmpeg and cached on disk so that every test run
 * (and every concurrent test process) reuses the same bytes instead of
 * re-encoding.
 */

import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

/** Media segments generated once by ffmpeg and cached (git-ignored) so tests don't re-encode. */
export interface SegmentSet {
  /** Directory holding the segment files. */
  dir: string;
  /** Number of segments (the live server loops over them). */
  count: number;
  /** Duration of every segment, in seconds. */
  segmentSeconds: number;
  /** Absolute paths of the segments, in playback order. */
  files: string[];
}

/** Bump when the encoding parameters change so stale caches are rebuilt. */
const CACHE_VERSION = 1;
const SEGMENT_COUNT = 180;
const SEGMENT_SECONDS = 1;
const MANIFEST = "manifest.json";

interface Manifest {
  version: number;
  count: number;
  segmentSeconds: number;
  files: string[];
}

/** `tests/.cache/segments` in the repo, independent of the caller's cwd. */
const DEFAULT_SEGMENT_CACHE_DIR = fileURLToPath(
  new URL("../tests/.cache/segments", import.meta.url),
);

/**
 * Returns the cached segment set, generating it first if needed.
 *
 * Generation happens in a private temp dir next to the cache and is renamed
 * into place only when complete, so a concurrent caller either sees no cache
 * or a whole one; if two processes race, the loser discards its copy and uses
 * the winner's.
 */
export async function ensureSegments(
  opts: { cacheDir?: string } = {},
): Promise<SegmentSet> {
  const cacheDir = opts.cacheDir ?? DEFAULT_SEGMENT_CACHE_DIR;
  const cached = await readCache(cacheDir);
  if (cached) return cached;

  const parent = dirname(cacheDir);
  await Deno.mkdir(parent, { recursive: true });
  const tmp = await Deno.makeTempDir({ dir: parent, prefix: ".segments-tmp-" });
  try {
    await generate(tmp);
    await installCache(tmp, cacheDir);
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
  const installed = await readCache(cacheDir);
  if (!installed) {
    throw new Error(`segment cache at ${cacheDir} is incomplete after generation`);
  }
  return installed;
}

/** A cache counts only if its manifest is current and every file exists. */
async function readCache(dir: string): Promise<SegmentSet | null> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await Deno.readTextFile(join(dir, MANIFEST)));
  } catch {
    return null;
  }
  if (
    manifest.version !== CACHE_VERSION ||
    manifest.count !== SEGMENT_COUNT ||
    manifest.segmentSeconds !== SEGMENT_SECONDS ||
    !Array.isArray(manifest.files) ||
    manifest.files.length !== manifest.count
  ) {
    return null;
  }
  const files = manifest.files.map((f) => join(dir, f));
  for (const file of files) {
    try {
      const info = await Deno.stat(file);
      if (!info.isFile || info.size === 0) return null;
    } catch {
      return null;
    }
  }
  return {
    dir,
    count: manifest.count,
    segmentSeconds: manifest.segmentSeconds,
    files,
  };
}

/** Atomically moves a finished temp dir to `cacheDir`, tolerating a racing winner. */
async function installCache(tmp: string, cacheDir: string): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await Deno.rename(tmp, cacheDir);
      return;
    } catch (err) {
      if (await readCache(cacheDir)) return; // another process won the race
      if (!(await exists(cacheDir))) throw err;
      // A stale or broken cache is in the way: move it aside atomically, then delete it.
      const trash = `${cacheDir}.stale-${Deno.pid}-${crypto.randomUUID()}`;
      await Deno.rename(cacheDir, trash).catch(() => {});
      await Deno.remove(trash, { recursive: true }).catch(() => {});
    }
  }
  if (!(await readCache(cacheDir))) {
    throw new Error(`could not install segment cache at ${cacheDir}`);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** Encodes the whole set with one ffmpeg run; the timestamp overlay is optional. */
async function generate(dir: string): Promise<void> {
  const video = `testsrc2=size=320x180:rate=30`;
  const clock =
    `drawtext=text='%{pts\\:hms}':x=8:y=8:fontsize=20:fontcolor=white:box=1:boxcolor=black@0.6`;
  let result = await runFfmpeg(dir, `${video},${clock}`);
  if (!result.ok) {
    // drawtext needs libfreetype and a font; the stream is usable without it.
    for await (const entry of Deno.readDir(dir)) {
      await Deno.remove(join(dir, entry.name), { recursive: true });
    }
    result = await runFfmpeg(dir, video);
  }
  if (!result.ok) {
    throw new Error(`ffmpeg failed to generate test segments:\n${result.stderr}`);
  }

  const files = Array.from(
    { length: SEGMENT_COUNT },
    (_, i) => `seg${String(i).padStart(3, "0")}.ts`,
  );
  for (const f of files) {
    const info = await Deno.stat(join(dir, f)).catch(() => null);
    if (!info || info.size === 0) {
      throw new Error(`ffmpeg did not produce ${f}:\n${result.stderr}`);
    }
  }
  const manifest: Manifest = {
    version: CACHE_VERSION,
    count: SEGMENT_COUNT,
    segmentSeconds: SEGMENT_SECONDS,
    files,
  };
  // Written last: its presence marks the directory as complete.
  await Deno.writeTextFile(
    join(dir, MANIFEST),
    JSON.stringify(manifest, null, 2) + "\n",
  );
}

async function runFfmpeg(
  dir: string,
  videoFilter: string,
): Promise<{ ok: boolean; stderr: string }> {
  const fps = 30;
  const args = [
    "-hide_banner",
    "-loglevel",
    "error",
    "-nostdin",
    "-y",
    "-f",
    "lavfi",
    "-i",
    videoFilter,
    "-f",
    "lavfi",
    "-i",
    "sine=frequency=440:sample_rate=44100",
    "-t",
    String(SEGMENT_COUNT * SEGMENT_SECONDS),
    "-c:v",
    "libx264",
    "-profile:v",
    "baseline",
    "-preset",
    "veryfast",
    "-pix_fmt",
    "yuv420p",
    "-g",
    String(fps * SEGMENT_SECONDS),
    "-force_key_frames",
    `expr:gte(t,n_forced*${SEGMENT_SECONDS})`,
    "-c:a",
    "aac",
    "-ar",
    "44100",
    "-ac",
    "2",
    "-f",
    "hls",
    "-hls_time",
    String(SEGMENT_SECONDS),
    "-hls_list_size",
    "0",
    "-hls_segment_filename",
    join(dir, "seg%03d.ts"),
    join(dir, "source.m3u8"),
  ];
  const out = await new Deno.Command("ffmpeg", {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  return { ok: out.success, stderr: new TextDecoder().decode(out.stderr) };
}
