import { basename, extname, join } from "node:path";
import { getLogger } from "@logtape/logtape";
import { MergeFailedError } from "../errors.ts";
import { concatList, concatRemuxArgs, type FinalFormat } from "../proc/ffmpeg_args.ts";
import { type MediaInfo, probeMedia } from "../proc/ffprobe.ts";
import { runCommand } from "../proc/spawn.ts";
import { removeIfExists, syncDirectory, writeFileAtomic } from "../state/atomic_write.ts";

const log = getLogger(["twitchtool", "finalize"]);

/** How a session's parts become deliverables. */
export interface FinalizeSettings {
  readonly recordDir: string;
  readonly tempDir: string;
  readonly base: string;
  /** `enable_remux`: deliver an `.mp4`; otherwise a merged `.ts`. */
  readonly enableRemux: boolean;
  /** `delete_ts_after_remux=false` also delivers the merged `.ts` beside the `.mp4`. */
  readonly deleteTsAfterRemux: boolean;
  /** Largest accepted difference between the result's duration and the parts' total. */
  readonly toleranceSeconds?: number;
}

/** What finalizing produced. */
export interface FinalizeResult {
  /** The file to encode: the `.mp4`, or the merged `.ts` when remux is off or failed. */
  readonly deliverable: string;
  /** Every file moved into the record dir. */
  readonly delivered: readonly string[];
  /** Duration of the deliverable in seconds. */
  readonly duration: number;
  /** Sum of the readable parts' durations. */
  readonly partsDuration: number;
  /** Unreadable parts, left in the temp dir rather than deleted. */
  readonly unreadableParts: readonly string[];
  readonly remuxFailed: boolean;
}

/**
 * Turns captured parts into the deliverable in one ffmpeg pass per output (concat + copy),
 * verifies it with ffprobe against the parts' total duration, moves it into the record dir
 * without overwriting anything, and only then deletes the parts. On failure the parts stay.
 */
export async function finalizeRecording(
  parts: readonly string[],
  settings: FinalizeSettings,
): Promise<FinalizeResult> {
  const tolerance = settings.toleranceSeconds ?? 2;
  const readable: string[] = [];
  const unreadableParts: string[] = [];
  let partsDuration = 0;
  for (const part of parts) {
    const info = await probeMedia(part);
    if (info && info.duration > 0) {
      readable.push(part);
      partsDuration += info.duration;
    } else {
      unreadableParts.push(part);
      log.warn("Part {part} is not readable media; left in place and skipped", { part });
    }
  }
  if (readable.length === 0) {
    throw new MergeFailedError(
      `Cannot finalize "${settings.base}": none of its ${parts.length} part(s) is readable; parts kept in "${settings.tempDir}"`,
    );
  }

  const listFile = join(settings.tempDir, `${settings.base}.concat.txt`);
  await writeFileAtomic(listFile, concatList(readable));
  const produce = (format: FinalFormat) =>
    produceVerified(listFile, settings, format, partsDuration, tolerance);

  const staged: { path: string; format: FinalFormat; info: MediaInfo }[] = [];
  let remuxFailed = false;
  try {
    if (settings.enableRemux) {
      try {
        staged.push(await produce("mp4"));
      } catch (error) {
        remuxFailed = true;
        log.warn("Remux to .mp4 failed, keeping a merged .ts instead: {error}", {
          error: (error as Error).message,
        });
      }
    }
    if (!settings.enableRemux || remuxFailed || !settings.deleteTsAfterRemux) {
      staged.push(await produce("mpegts"));
    }
  } catch (error) {
    for (const item of staged) await removeIfExists(item.path);
    await removeIfExists(listFile);
    throw new MergeFailedError(
      `Cannot finalize "${settings.base}": ${
        (error as Error).message
      }; parts kept in "${settings.tempDir}"`,
      { cause: error },
    );
  }

  await Deno.mkdir(settings.recordDir, { recursive: true });
  const delivered: string[] = [];
  for (const item of staged) {
    const extension = item.format === "mp4" ? ".mp4" : ".ts";
    delivered.push(
      await moveWithoutOverwrite(item.path, settings.recordDir, settings.base + extension),
    );
  }
  await syncDirectory(settings.recordDir);
  for (const part of readable) await removeIfExists(part);
  await removeIfExists(listFile);

  const first = staged[0]!;
  return {
    deliverable: delivered[0]!,
    delivered,
    duration: first.info.duration,
    partsDuration,
    unreadableParts,
    remuxFailed,
  };
}

async function produceVerified(
  listFile: string,
  settings: FinalizeSettings,
  format: FinalFormat,
  expected: number,
  tolerance: number,
): Promise<{ path: string; format: FinalFormat; info: MediaInfo }> {
  const extension = format === "mp4" ? "mp4" : "ts";
  const path = join(settings.tempDir, `${settings.base}.${extension}.partial`);
  const result = await runCommand("ffmpeg", concatRemuxArgs(listFile, path, format));
  if (result.code !== 0) {
    await removeIfExists(path);
    throw new Error(`ffmpeg exited with ${result.code}: ${lastLine(result.stderr)}`);
  }
  const info = await probeMedia(path);
  if (!info || Math.abs(info.duration - expected) > tolerance) {
    await removeIfExists(path);
    throw new Error(
      `the ${extension} lasts ${info?.duration.toFixed(1) ?? "?"} s but the parts hold ${
        expected.toFixed(1)
      } s`,
    );
  }
  return { path, format, info };
}

/**
 * Moves `source` into `dir` as `name`, or `name-1`, `name-2`... when taken. A hard link
 * creates the target atomically and fails if it exists, so nothing is ever overwritten.
 */
export async function moveWithoutOverwrite(
  source: string,
  dir: string,
  name: string,
): Promise<string> {
  const extension = extname(name);
  const stem = basename(name, extension);
  for (let n = 0;; n++) {
    const target = join(dir, n === 0 ? name : `${stem}-${n}${extension}`);
    try {
      await Deno.link(source, target);
      await Deno.remove(source);
      return target;
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists) continue;
      if (!(error instanceof Deno.errors.NotSupported || isCrossDevice(error))) throw error;
      if (await pathExists(target)) continue;
      await Deno.copyFile(source, `${target}.partial`);
      await Deno.rename(`${target}.partial`, target);
      await Deno.remove(source);
      return target;
    }
  }
}

function isCrossDevice(error: unknown): boolean {
  return (error as { code?: string }).code === "EXDEV" || /cross-device/i.test(String(error));
}

async function pathExists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

function lastLine(text: string): string {
  return text.trim().split("\n").pop() ?? "";
}
