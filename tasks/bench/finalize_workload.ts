/**
 * Workload 1, finalize: how long turning ~2 GB of parts into the final `.mp4` takes and how
 * many bytes it writes, for
 * - `cat parts > /dev/null`: reading the parts once, the floor any finalize must pay;
 * - one pass: the real `finalizeRecording()` (concat demuxer + stream copy straight to MP4 with
 *   `+faststart`, ffprobe checks, move into the record dir, parts deleted);
 * - two passes, as the original tool did: merge the parts into one `.ts`, remux that to MP4
 *   with `+faststart`, delete the `.ts`; with the same argv builders our code uses.
 *
 * Each variant starts with the parts dropped from the page cache (see page_cache.ts) and all
 * dirty pages flushed. Bytes written are the `wchar` of this process, which includes the
 * ffmpeg/ffprobe children once reaped; "until on disk" adds a `sync` after the variant.
 */
import { join } from "node:path";
import { remuxArgs } from "../../src/proc/ffmpeg_args.ts";
import { probeMedia } from "../../src/proc/ffprobe.ts";
import { runCommand } from "../../src/proc/spawn.ts";
import { finalizeRecording } from "../../testing/finalize_parts.ts";
import { freeBytes } from "../../src/util/disk_space.ts";
import {
  ensureJumpyParts,
  ensureParts,
  PART_SECONDS,
  type PartSet,
  partsFor,
} from "./finalize_parts.ts";
import { evictFromPageCache, flushDirtyPages } from "./page_cache.ts";
import { readProcIo } from "../../testing/proc_stat.ts";
import { megabytes, ratio, round } from "./stats.ts";
import type { Measurement, Workload, WorkloadContext, WorkloadOutcome } from "./workload.ts";

const FULL_TARGET_BYTES = 2e9;
const QUICK_TARGET_BYTES = 4.5e8;
/** Peak disk use is the parts plus the two-pass merged `.ts` and its `.mp4`, plus slack. */
const DISK_FACTOR = 3.5;
/** A recording's base name, as `record` makes it. */
const BASE = "bench_channel_2024-01-01_00-00-00";

/** What one variant cost. */
interface VariantCost {
  readonly seconds: number;
  /** `seconds` plus the `sync` that puts its writes on disk. */
  readonly durableSeconds: number;
  /** Bytes passed to write() (the `+faststart` rewrite included). */
  readonly bytesWritten: number;
  /** Bytes sent to storage: page-cache pages dirtied, minus those of files deleted before writeback. */
  readonly storageBytes: number;
  /** Fraction of the parts still in the page cache when the variant started. */
  readonly cachedBefore: number;
}

/** The finalize workload (see the file comment). */
export const finalizeWorkload: Workload = {
  name: "finalize",
  title: "Finalize parts into the .mp4",
  estimate: { full: "~1 min, +30 s on the first run", quick: "~15 s" },
  run: runFinalize,
};

async function runFinalize(context: WorkloadContext): Promise<WorkloadOutcome> {
  const notes: string[] = [];
  const target = await affordableTarget(context, notes);
  const set = await ensureParts(context, await partsFor(context, target));
  context.say(`${set.parts.length} parts, ${megabytes(set.bytes).toFixed(0)} MB in all`);

  const cat = await measureVariant(context, "cat parts > /dev/null", set, () => readAll(set));
  const onePass = await measureVariant(
    context,
    "one pass (finalizeRecording)",
    set,
    (dir) => onePassFinalize(set, dir),
  );
  const twoPass = await measureVariant(
    context,
    "two passes (merge .ts, then remux)",
    set,
    (dir) => twoPassFinalize(set, dir),
  );
  const jumpySet = await ensureJumpyParts(context, set.parts.length);
  const jumpy = await measureVariant(
    context,
    "one pass, parts with an ad break and an encoder restart",
    jumpySet,
    (dir) => onePassFinalize(jumpySet, dir, set.parts.length * PART_SECONDS),
  );

  const cached = Math.max(cat.cachedBefore, onePass.cachedBefore, twoPass.cachedBefore);
  notes.push(
    `${set.parts.length} parts of ${megabytes(set.bytes / set.parts.length).toFixed(0)} MB ` +
      `(1080p30 H.264 at 30 Mbit/s + AAC). The one pass feeds the parts to ffmpeg through a ` +
      `pipe, and write() into that pipe counts in "bytes written": "bytes to storage" is what ` +
      `reaches the disk. Before each variant the parts were flushed and ` +
      `dropped from the page cache with posix_fadvise; ${describeCache(cached)}. ` +
      `Bytes written = write() bytes of the ffmpeg/ffprobe processes (/proc io wchar, ` +
      `counted once they are reaped); bytes to storage = their write_bytes - ` +
      `cancelled_write_bytes: a rewrite of still-dirty pages counts once, and the two-pass ` +
      `merged .ts counts only as far as writeback reached it before it was deleted, so this ` +
      `one depends on free RAM (${machineRam()}).`,
  );
  notes.push(
    `The jumpy parts hold the same clip copies, two per part, one of them an ad break on its ` +
      `own clock (timestamps back to 7 s) and one an encoder restart (back to 0).`,
  );
  return {
    measurements: [
      ...report(set, cat, onePass, twoPass),
      ...jumpyReport(jumpySet, onePass, jumpy),
    ],
    notes,
  };
}

/** 2 GB (450 MB quick), less when the disk cannot hold parts and outputs. */
async function affordableTarget(context: WorkloadContext, notes: string[]): Promise<number> {
  const wanted = context.quick ? QUICK_TARGET_BYTES : FULL_TARGET_BYTES;
  const free = await freeBytes(context.cacheDir);
  if (free >= wanted * DISK_FACTOR) return wanted;
  const scaled = Math.floor(free / DISK_FACTOR / 1e8) * 1e8;
  if (scaled <= 0) throw new Error(`Only ${megabytes(free).toFixed(0)} MB free: too little`);
  notes.push(`Scaled down to ${megabytes(scaled)} MB of parts: only ${megabytes(free)} MB free.`);
  return scaled;
}

/**
 * Runs `work` in an empty folder of its own, timed from cold parts until it returns and until
 * a `sync` has put its writes on disk; its outputs are deleted only after that, untimed.
 */
async function measureVariant(
  context: WorkloadContext,
  label: string,
  set: PartSet,
  work: (dir: string) => Promise<void>,
): Promise<VariantCost> {
  const dir = await Deno.makeTempDir({ dir: context.workDir });
  try {
    const cachedBefore = await evictFromPageCache(set.parts);
    const before = await readProcIo("self");
    const start = performance.now();
    await context.during(
      label,
      work(dir),
      async () => `${megabytes(await outputBytes(dir)).toFixed(0)} MB in its output folder`,
    );
    const seconds = (performance.now() - start) / 1000;
    await flushDirtyPages();
    const durableSeconds = (performance.now() - start) / 1000;
    const after = await readProcIo("self");
    const bytesWritten = after.wchar - before.wchar;
    const storageBytes = (after.writeBytes - after.cancelledWriteBytes) -
      (before.writeBytes - before.cancelledWriteBytes);
    context.say(
      `${label}: ${seconds.toFixed(1)} s (${durableSeconds.toFixed(1)} s until on disk), ` +
        `${megabytes(bytesWritten).toFixed(0)} MB written`,
    );
    return { seconds, durableSeconds, bytesWritten, storageBytes, cachedBefore };
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** Bytes of the files under `dir`, leaving out hard links to the cached parts. */
async function outputBytes(dir: string): Promise<number> {
  let total = 0;
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    const info = await Deno.lstat(path).catch(() => undefined);
    if (info?.isDirectory) total += await outputBytes(path);
    else if (info?.isFile && (info.nlink ?? 1) === 1) total += info.size;
  }
  return total;
}

async function readAll(set: PartSet): Promise<void> {
  const output = await new Deno.Command("cat", {
    args: set.parts,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!output.success) throw new Error(`cat failed: ${new TextDecoder().decode(output.stderr)}`);
}

/**
 * The real finalize on hard links of the cached parts (same inodes, no copy): it deletes the
 * links it consumed, the cache keeps the parts. It must deliver a verified `.mp4` holding
 * `seconds` of media when given.
 */
async function onePassFinalize(set: PartSet, dir: string, seconds?: number): Promise<void> {
  const tempDir = join(dir, "temp");
  await Deno.mkdir(tempDir, { recursive: true });
  const links: string[] = [];
  for (const [index, part] of set.parts.entries()) {
    const link = join(tempDir, `${BASE}_part${String(index + 1).padStart(2, "0")}.ts`);
    await Deno.link(part, link);
    links.push(link);
  }
  const result = await finalizeRecording(links, {
    recordDir: join(dir, "out"),
    tempDir,
    base: BASE,
    enableRemux: true,
    deleteTsAfterRemux: true,
  });
  if (result.fallbackReason) throw new Error(`No verified .mp4: ${result.fallbackReason}`);
  if (seconds !== undefined && Math.abs(result.duration - seconds) > 2) {
    throw new Error(`The .mp4 holds ${result.duration} s of the parts' ${seconds} s`);
  }
}

/**
 * The original tool's finalize: merge to `.ts`, remux to `.mp4`, delete the `.ts`; plus one
 * ffprobe of the result (the one pass verifies its output too).
 */
async function twoPassFinalize(set: PartSet, dir: string): Promise<void> {
  const list = join(dir, `${BASE}.concat.txt`);
  const merged = join(dir, `${BASE}.ts`);
  const final = join(dir, `${BASE}.mp4`);
  await Deno.writeTextFile(list, set.parts.map((part) => `file '${part}'\n`).join(""));
  await ffmpeg([
    ...["-hide_banner", "-nostdin", "-loglevel", "error", "-f", "concat", "-safe", "0"],
    ...["-i", list, "-map", "0:v?", "-map", "0:a?", "-c", "copy", "-f", "mpegts", "-y", merged],
  ]);
  await ffmpeg(remuxArgs(merged, final, "error"));
  await Deno.remove(merged);
  await checkDuration(final, set.parts.length * PART_SECONDS);
}

async function ffmpeg(args: string[]): Promise<void> {
  const result = await runCommand("ffmpeg", args);
  if (result.code !== 0) throw new Error(`ffmpeg ${args.join(" ")} failed: ${result.stderr}`);
}

/** The two-pass output must be as complete as the one-pass one for the comparison to be fair. */
async function checkDuration(path: string, expected: number): Promise<void> {
  const info = await probeMedia(path);
  if (!info || Math.abs(info.duration - expected) > 2) {
    throw new Error(`The two-pass result lasts ${info?.duration ?? "?"} s, expected ${expected} s`);
  }
}

function report(
  set: PartSet,
  cat: VariantCost,
  onePass: VariantCost,
  twoPass: VariantCost,
): Measurement[] {
  const inputMb = megabytes(set.bytes);
  const variant = (name: string, cost: VariantCost, writes: boolean): Measurement[] => [
    { metric: `${name}: time`, value: round(cost.seconds, 2), unit: "s" },
    { metric: `${name}: throughput`, value: round(inputMb / cost.seconds, 1), unit: "MB/s" },
    ...(writes
      ? [
        {
          metric: `${name}: time until on disk`,
          value: round(cost.durableSeconds, 2),
          unit: "s",
          note: "with a sync after",
        } satisfies Measurement,
        {
          metric: `${name}: bytes written`,
          value: round(megabytes(cost.bytesWritten), 0),
          unit: "MB",
          note: `${round(cost.bytesWritten / set.bytes, 2)}x the parts (write() calls)`,
        } satisfies Measurement,
        {
          metric: `${name}: bytes to storage`,
          value: round(megabytes(cost.storageBytes), 0),
          unit: "MB",
          note: "pages dirtied, minus files deleted before writeback",
        } satisfies Measurement,
      ]
      : []),
  ];
  return [
    {
      metric: "parts read",
      value: round(inputMb, 0),
      unit: "MB",
      note: `${set.parts.length} parts`,
    },
    ...variant("cat > /dev/null", cat, false),
    ...variant("one pass", onePass, true),
    ...variant("two passes", twoPass, true),
    {
      metric: "one pass / cat",
      value: round(ratio(onePass.seconds, cat.seconds), 2),
      unit: "x",
      note: "time",
    },
    {
      metric: "two passes / one pass",
      value: round(ratio(twoPass.seconds, onePass.seconds), 2),
      unit: "x",
      note: "time",
    },
    {
      metric: "two passes / one pass",
      value: round(ratio(twoPass.durableSeconds, onePass.durableSeconds), 2),
      unit: "x",
      note: "time until on disk",
    },
    {
      metric: "two passes / one pass",
      value: round(ratio(twoPass.bytesWritten, onePass.bytesWritten), 2),
      unit: "x",
      note: "bytes written",
    },
  ];
}

function jumpyReport(set: PartSet, clean: VariantCost, jumpy: VariantCost): Measurement[] {
  return [
    { metric: "ad + restart: time", value: round(jumpy.seconds, 2), unit: "s" },
    {
      metric: "ad + restart: time until on disk",
      value: round(jumpy.durableSeconds, 2),
      unit: "s",
      note: "with a sync after",
    },
    {
      metric: "ad + restart: bytes written",
      value: round(megabytes(jumpy.bytesWritten), 0),
      unit: "MB",
      note: `${round(jumpy.bytesWritten / set.bytes, 2)}x the parts (write() calls, pipe included)`,
    },
    {
      metric: "ad + restart: bytes to storage",
      value: round(megabytes(jumpy.storageBytes), 0),
      unit: "MB",
      note: `${round(jumpy.storageBytes / set.bytes, 2)}x the parts`,
    },
    {
      metric: "ad + restart / clean one pass",
      value: round(ratio(jumpy.seconds, clean.seconds), 2),
      unit: "x",
      note: "time",
    },
  ];
}

function machineRam(): string {
  return `${(Deno.systemMemoryInfo().total / 2 ** 30).toFixed(0)} GiB here`;
}

function describeCache(cached: number): string {
  if (Number.isNaN(cached)) return "fincore is missing, so whether reads were cold is unknown";
  const state = cached < 0.05
    ? "cold for this VM (its host may still cache the disk)"
    : "partly warm";
  return `fincore then found at most ${
    (cached * 100).toFixed(0)
  }% of them cached: reads were ${state}`;
}
