import { basename, dirname, extname, join } from "node:path";
import { getLogger } from "@logtape/logtape";
import { MergeFailedError } from "../errors.ts";
import {
  concatList,
  concatRemuxArgs,
  type FinalFormat,
  lowPriorityCommand,
  type LowPriorityTools,
  moovReserveBytes,
} from "../proc/ffmpeg_args.ts";
import { hasMediaStreams, type MediaInfo, probeMedia } from "../proc/ffprobe.ts";
import { runCommand } from "../proc/spawn.ts";
import {
  pathExists,
  removeIfExists,
  syncDirectory,
  writeFileAtomic,
} from "../state/atomic_write.ts";

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
  /** nice/ionice for ffmpeg, when the caller wants it off the capture path. */
  readonly lowPriority?: LowPriorityTools;
}

/** A verified output waiting in the temp dir, and the name it will have in the record dir. */
export interface StagedDelivery {
  readonly staged: string;
  readonly target: string;
  readonly format: FinalFormat;
}

/** Result of {@link stageDeliverables}: outputs written and verified, nothing moved or deleted yet. */
export interface StagedFinalize {
  readonly deliveries: readonly StagedDelivery[];
  /** Parts that went into the outputs; deleted once the outputs are delivered. */
  readonly readableParts: readonly string[];
  /** Unreadable parts, left in the temp dir rather than deleted. */
  readonly unreadableParts: readonly string[];
  /** Sum of the readable parts' durations, seconds. */
  readonly partsDuration: number;
  /** Duration of the first deliverable, seconds. */
  readonly duration: number;
  readonly remuxFailed: boolean;
}

/** What finalizing produced. */
export interface FinalizeResult {
  /** The file to encode: the `.mp4`, or the merged `.ts` when remux is off or failed. */
  readonly deliverable: string;
  /** Every file moved into the record dir. */
  readonly delivered: readonly string[];
  readonly duration: number;
  readonly partsDuration: number;
  readonly unreadableParts: readonly string[];
  readonly remuxFailed: boolean;
}

/**
 * Turns captured parts into the deliverable(s), delivers them and deletes the parts: the
 * one-shot form of {@link stageDeliverables} + {@link commitDelivery} + {@link removeParts}.
 */
export async function finalizeRecording(
  parts: readonly string[],
  settings: FinalizeSettings,
): Promise<FinalizeResult> {
  const staged = await stageDeliverables(parts, settings);
  const delivered: string[] = [];
  for (const delivery of staged.deliveries) delivered.push(await commitDelivery(delivery));
  await syncDirectory(settings.recordDir);
  await removeParts(staged.readableParts, settings);
  return {
    deliverable: delivered[0]!,
    delivered,
    duration: staged.duration,
    partsDuration: staged.partsDuration,
    unreadableParts: staged.unreadableParts,
    remuxFailed: staged.remuxFailed,
  };
}

/**
 * Writes the outputs next to the parts in one ffmpeg pass each (concat + stream copy, the
 * recording is written once), verifies each with ffprobe against the parts' total duration,
 * and picks free target names in the record dir. Moves and deletes nothing, so a crash here
 * loses nothing: the parts are still complete.
 */
export async function stageDeliverables(
  parts: readonly string[],
  settings: FinalizeSettings,
): Promise<StagedFinalize> {
  const tolerance = settings.toleranceSeconds ?? 2;
  const readable: string[] = [];
  const unreadableParts: string[] = [];
  let partsDuration = 0;
  let timelineBroken = false;
  for (const part of parts) {
    const info = await probeMedia(part);
    if (info && info.duration > 0) {
      readable.push(part);
      partsDuration += info.duration;
    } else if (await hasMediaStreams(part)) {
      readable.push(part);
      timelineBroken = true;
      log.warn("Part {part} has timestamps that jump back; it will be joined byte for byte", {
        part,
      });
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

  const listFile = concatListPath(settings);
  await writeFileAtomic(listFile, concatList(readable));
  const produce = (format: FinalFormat, reserveMoovBytes?: number) =>
    produceVerified(listFile, settings, format, partsDuration, tolerance, reserveMoovBytes);

  const staged: { path: string; format: FinalFormat; info: MediaInfo }[] = [];
  let remuxFailed = false;
  try {
    if (settings.enableRemux && !timelineBroken) {
      try {
        staged.push(await produce("mp4", moovReserveBytes(partsDuration)));
      } catch (reserved) {
        log.warn("One-write .mp4 failed ({error}); trying +faststart", {
          error: (reserved as Error).message,
        });
        try {
          staged.push(await produce("mp4"));
        } catch (error) {
          remuxFailed = true;
          log.warn("Remux to .mp4 failed, keeping a merged .ts instead: {error}", {
            error: (error as Error).message,
          });
        }
      }
    }
    remuxFailed ||= settings.enableRemux && timelineBroken;
    if (!settings.enableRemux || remuxFailed || !settings.deleteTsAfterRemux) {
      try {
        if (timelineBroken) throw new Error("a part's timestamps jump back");
        staged.push(await produce("mpegts"));
      } catch (error) {
        log.warn(
          "Cannot merge with a continuous timeline ({error}); joining the parts byte for byte",
          {
            error: (error as Error).message,
          },
        );
        staged.push(await joinBytes(readable, settings));
      }
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
  const taken = new Set<string>();
  const deliveries: StagedDelivery[] = [];
  for (const item of staged) {
    const name = settings.base + (item.format === "mp4" ? ".mp4" : ".ts");
    const target = await freeName(settings.recordDir, name, taken);
    taken.add(target);
    deliveries.push({ staged: item.path, target, format: item.format });
  }
  return {
    deliveries,
    readableParts: readable,
    unreadableParts,
    partsDuration,
    duration: staged[0]!.info.duration,
    remuxFailed,
  };
}

/**
 * Moves a staged output to its target; safe to repeat after a crash at any point: a target
 * that is already the staged file (same inode) only drops the staged name, and a target taken
 * by another file gets the next free `-N` name. Returns the final path.
 */
export async function commitDelivery(delivery: StagedDelivery): Promise<string> {
  const staged = await statOrUndefined(delivery.staged);
  const target = await statOrUndefined(delivery.target);
  if (!staged) {
    if (target) return delivery.target;
    throw new MergeFailedError(`Cannot deliver "${delivery.target}": "${delivery.staged}" is gone`);
  }
  if (target && target.ino === staged.ino && target.dev === staged.dev) {
    await Deno.remove(delivery.staged);
    return delivery.target;
  }
  return await moveWithoutOverwrite(
    delivery.staged,
    dirname(delivery.target),
    basename(delivery.target),
  );
}

/** Deletes delivered parts and the concat list (idempotent). */
export async function removeParts(
  parts: readonly string[],
  settings: FinalizeSettings,
): Promise<void> {
  for (const part of parts) await removeIfExists(part);
  await removeIfExists(concatListPath(settings));
  await syncDirectory(settings.tempDir);
}

/** Removes half-written outputs a crash may have left for `base` (before staging again). */
export async function removeStaleOutputs(settings: FinalizeSettings): Promise<void> {
  for (const extension of ["mp4", "ts"]) {
    await removeIfExists(join(settings.tempDir, `${settings.base}.${extension}.partial`));
  }
  await removeIfExists(concatListPath(settings));
}

function concatListPath(settings: FinalizeSettings): string {
  return join(settings.tempDir, `${settings.base}.concat.txt`);
}

/**
 * Last resort that loses nothing: MPEG-TS can be concatenated byte for byte (streamlink writes
 * parts that way), so when ffmpeg cannot produce a verified file the parts are joined as they
 * are. Verified by size and by ffprobe finding the streams.
 */
async function joinBytes(
  parts: readonly string[],
  settings: FinalizeSettings,
): Promise<{ path: string; format: FinalFormat; info: MediaInfo }> {
  const path = join(settings.tempDir, `${settings.base}.ts.partial`);
  let expected = 0;
  const output = await Deno.open(path, { write: true, create: true, truncate: true });
  try {
    for (const part of parts) {
      const input = await Deno.open(part, { read: true });
      expected += (await input.stat()).size;
      // The readable side closes `input` when it ends or fails.
      await input.readable.pipeTo(output.writable, { preventClose: true });
    }
    await output.sync();
  } finally {
    output.close();
  }
  const size = (await Deno.stat(path)).size;
  if (size !== expected || !(await hasMediaStreams(path))) {
    await removeIfExists(path);
    throw new Error(`joining the parts wrote ${size} of ${expected} bytes`);
  }
  const info = await probeMedia(path);
  return { path, format: "mpegts", info: info ?? { duration: NaN, streams: [] } };
}

async function produceVerified(
  listFile: string,
  settings: FinalizeSettings,
  format: FinalFormat,
  expected: number,
  tolerance: number,
  reserveMoovBytes?: number,
): Promise<{ path: string; format: FinalFormat; info: MediaInfo }> {
  const extension = format === "mp4" ? "mp4" : "ts";
  const path = join(settings.tempDir, `${settings.base}.${extension}.partial`);
  const args = concatRemuxArgs(
    listFile,
    path,
    format,
    reserveMoovBytes ? { reserveMoovBytes } : {},
  );
  const ffmpeg = lowPriorityCommand(
    "ffmpeg",
    args,
    settings.lowPriority ?? { nice: false, ionice: false },
  );
  const result = await runCommand(ffmpeg.command, ffmpeg.args);
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

async function statOrUndefined(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** `name`, or `stem-N.ext` for the first N not on disk and not already planned. */
async function freeName(dir: string, name: string, planned: ReadonlySet<string>): Promise<string> {
  const extension = extname(name);
  const stem = basename(name, extension);
  for (let n = 0;; n++) {
    const candidate = join(dir, n === 0 ? name : `${stem}-${n}${extension}`);
    if (!planned.has(candidate) && !(await pathExists(candidate))) return candidate;
  }
}

function lastLine(text: string): string {
  return text.trim().split("\n").pop() ?? "";
}
