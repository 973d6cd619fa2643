import { basename, dirname, extname, join } from "node:path";
import { getLogger } from "@logtape/logtape";
import { MergeFailedError } from "../errors.ts";
import {
  DTS_JUMP_THRESHOLD_SECONDS,
  type FinalFormat,
  fmp4ToMpegtsArgs,
  liveFmp4Args,
  lowPriorityCommand,
  type LowPriorityTools,
  moovReserveForSamples,
  NORMAL_PRIORITY,
  type PartContainer,
  pipeRemuxArgs,
} from "../proc/ffmpeg_args.ts";
import { hasMediaStreams, probeMedia } from "../proc/ffprobe.ts";
import { contentProblems, measureContent } from "../proc/media_content.ts";
import { runCommand, runFilter, runWithInput } from "../proc/spawn.ts";
import {
  freeName,
  pathExists,
  removeIfExists,
  statOrUndefined,
  syncDirectory,
} from "../state/atomic_write.ts";
import {
  type Fmp4Fragment,
  type Fmp4Init,
  type Fmp4Layout,
  readFmp4Layout,
  sameBytes,
  sameInit,
} from "./fmp4_fragments.ts";
import { initCore } from "./live_fmp4.ts";
import { partContainer } from "./part_container.ts";
import { type Fmp4Plan, planFmp4Timeline, writeFmp4Plan } from "./fmp4_timeline.ts";
import { type JoinPlan, planFmp4Joins, planTsJoins } from "./part_joins.ts";
import type { LiveCheckpoint, RecordingCoverage } from "../state/session_manifest.ts";
import { roundMillis } from "../util/round_millis.ts";
import { NO_SPACE } from "../util/disk_space.ts";

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
  /** An ffmetadata file (title/game chapters) the `.mp4` pass writes in. */
  readonly metadataFile?: string;
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
  /** Duration of the first deliverable, seconds. */
  readonly duration: number;
  /** Why the deliverable is not the verified file asked for (logged, shown by `status`). */
  readonly fallbackReason?: string;
  /** What the deliverable holds of the broadcast (repeats dropped, holes left). */
  readonly coverage: RecordingCoverage;
}

/**
 * Writes the outputs next to the parts in one ffmpeg pass each (parts fed on stdin, streams
 * copied: the recording is written once), verifies each by its packets against what the parts
 * held, and picks free target names in the record dir. Moves and deletes nothing, so a crash
 * here loses nothing: the parts are still complete.
 */
export async function stageDeliverables(
  parts: readonly string[],
  settings: FinalizeSettings,
  livePrefix?: LivePrefix,
): Promise<StagedFinalize> {
  const source = livePrefix
    ? await livePrefixSource(parts, livePrefix, settings)
    : await readParts(parts, settings);
  const { staged, fallbackReason } = await stageOutputs(source, settings);
  const deliveries = await deliveryTargets(staged, settings);
  const coverage = coverageOf(source, staged, settings.base);
  if (fallbackReason) {
    log.warn("{base} is delivered as {file} because {reason}", {
      base: settings.base,
      file: deliveries[0]?.target,
      reason: fallbackReason,
    });
  }
  return {
    deliveries,
    readableParts: source.inputs ?? source.parts,
    unreadableParts: source.unreadable,
    duration: source.contentSeconds,
    ...(fallbackReason ? { fallbackReason } : {}),
    coverage,
  };
}

/**
 * Stages the outputs the settings ask for; on an error nothing staged is left behind and the
 * error names the session and where its parts are kept.
 */
async function stageOutputs(
  source: PartsSource,
  settings: FinalizeSettings,
): Promise<{ staged: Staged[]; fallbackReason?: string }> {
  const staged: Staged[] = [];
  try {
    const fallbackReason = await stageInto(staged, source, settings);
    return { staged, ...(fallbackReason ? { fallbackReason } : {}) };
  } catch (error) {
    for (const item of staged) await removeIfExists(item.path);
    throw new MergeFailedError(
      `Cannot finalize "${settings.base}": ${
        (error as Error).message
      }; parts kept in "${settings.tempDir}"`,
      { cause: error },
    );
  }
}

/**
 * Fills `staged`: the verified `.mp4` (with remux), the verified merged `.ts` (MPEG-TS parts,
 * when asked for or when no `.mp4` could be made), else the parts joined byte for byte.
 * Returns why the deliverable is not a verified `.mp4`, when it is not.
 */
async function stageInto(
  staged: Staged[],
  source: PartsSource,
  settings: FinalizeSettings,
): Promise<string | undefined> {
  if (source.unusable) return await joinAfter(staged, source, settings, source.unusable);
  let fallbackReason: string | undefined;
  if (settings.enableRemux) {
    const mp4 = await verifiedMp4(source, settings);
    if (mp4.staged) staged.push(mp4.staged);
    else fallbackReason = `no verified .mp4 could be made: ${mp4.error}`;
  }
  const wantsMerged = !settings.enableRemux || !settings.deleteTsAfterRemux;
  if (source.container === "mpegts" && (fallbackReason || wantsMerged)) {
    try {
      staged.push(await produceVerified(source, settings, "mpegts"));
    } catch (error) {
      // Joined whatever the reason so far; the join's reason only when it is the deliverable.
      const joined = await joinAfter(staged, source, settings, (error as Error).message);
      fallbackReason ??= joined;
    }
  } else if (fallbackReason) {
    // fMP4 parts cannot be merged into a .ts: the byte-for-byte join is all that is left.
    await joinAfter(staged, source, settings, fallbackReason);
  } else if (wantsMerged && staged.length === 0) {
    const reason = "the parts are fragmented MP4, which cannot be merged into a .ts";
    fallbackReason = await joinAfter(staged, source, settings, reason);
  }
  return fallbackReason;
}

/** The one-write `.mp4`, or +faststart when only its index reservation fell short. */
async function verifiedMp4(
  source: PartsSource,
  settings: FinalizeSettings,
): Promise<{ staged: Staged; error?: never } | { staged?: never; error: string }> {
  try {
    try {
      return { staged: await produceVerified(source, settings, "mp4", source.moovReserve) };
    } catch (reserved) {
      // Only a reservation that fell short is worth a second pass with +faststart.
      if (!/moov/i.test((reserved as Error).message)) throw reserved;
      log.warn("One-write .mp4 failed ({error}); trying +faststart", {
        error: (reserved as Error).message,
      });
      return { staged: await produceVerified(source, settings, "mp4") };
    }
  } catch (error) {
    log.warn("Remux to .mp4 failed: {error}", { error: (error as Error).message });
    return { error: (error as Error).message };
  }
}

/**
 * Joins the parts byte for byte because of `reason`; returns the reason when this join is the
 * deliverable (nothing was staged before it), so the caller can say why.
 */
async function joinAfter(
  staged: Staged[],
  source: PartsSource,
  settings: FinalizeSettings,
  reason: string,
): Promise<string | undefined> {
  const isDeliverable = staged.length === 0;
  log.warn("Cannot make a verified file ({reason}); joining the parts byte for byte", { reason });
  staged.push(await joinBytes(source, settings));
  return isDeliverable ? reason : undefined;
}

/** A free name in the record dir for each staged file (`-1`, `-2`, ... when taken). */
export async function deliveryTargets(
  staged: readonly Staged[],
  settings: FinalizeSettings,
): Promise<StagedDelivery[]> {
  await Deno.mkdir(settings.recordDir, { recursive: true });
  const taken = new Set<string>();
  const deliveries: StagedDelivery[] = [];
  for (const item of staged) {
    const name = settings.base + extensionOf(item);
    const target = await freeName(settings.recordDir, name, { planned: taken });
    taken.add(target);
    deliveries.push({ staged: item.path, target, format: item.format });
  }
  return deliveries;
}

/** What the deliverable holds of the broadcast: seconds, repeats dropped, holes left. */
function coverageOf(
  source: PartsSource,
  staged: readonly Staged[],
  base: string,
): RecordingCoverage {
  // A byte-for-byte fMP4 join keeps what later parts repeat (only MPEG-TS parts are cut there).
  const rawFmp4 = staged[0]?.verified === false && source.container === "mp4";
  const coverage: RecordingCoverage = {
    captured_seconds: roundMillis(source.contentSeconds),
    backfilled_seconds: 0,
    repeats_dropped_seconds: rawFmp4 ? 0 : source.joins.repeatsSeconds,
    gaps: source.joins.holes,
  };
  if (coverage.repeats_dropped_seconds > 0 || coverage.gaps.length > 0) {
    log.info("{base}: dropped {repeats} s that later parts repeated; {gaps} hole(s) left", {
      base,
      repeats: coverage.repeats_dropped_seconds,
      gaps: coverage.gaps.length,
    });
  }
  return coverage;
}

/** `.mp4` for MP4 output or byte-joined fMP4, `.ts` for MPEG-TS: a name never lies. */
function extensionOf(item: Staged): string {
  if (!item.verified) return item.container === "mp4" ? ".mp4" : ".ts";
  return item.format === "mp4" ? ".mp4" : ".ts";
}

/** An output written in the temp dir; `verified` unless it is the byte-for-byte join. */
export interface Staged {
  readonly path: string;
  readonly format: FinalFormat;
  readonly container: PartContainer;
  readonly verified: boolean;
}

/** The readable parts of a session and how to feed them to ffmpeg as one stream. */
interface PartsSource {
  /** What the parts' bytes are. */
  readonly container: PartContainer;
  /** What {@link feed} gives ffmpeg. */
  readonly input: PartContainer;
  readonly parts: readonly string[];
  readonly unreadable: readonly string[];
  readonly hevc: boolean;
  /** Room for the moov, from the samples the parts hold (counted or estimated). */
  readonly moovReserve: number;
  /** Seconds of media the parts hold, when known before the merge. */
  contentSeconds: number;
  /** Why no ffmpeg merge is attempted (the byte-for-byte join is used at once). */
  readonly unusable?: string;
  /** What each part repeats of the one before (skipped when fed) and the holes between parts. */
  readonly joins: JoinPlan;
  /** Writes every part's media, in order, on ffmpeg's stdin. */
  readonly feed: (sink: WritableStreamDefaultWriter<Uint8Array>) => Promise<void>;
  /** What to delete once delivered, when not {@link parts} (a live prefix's parts). */
  readonly inputs?: readonly string[];
}

/**
 * A session whose parts were freed up to a journaled checkpoint (`live_checkpoint.ts`): the
 * live file written while recording holds the recording before it.
 */
export interface LivePrefix {
  readonly file: string;
  readonly checkpoint: LiveCheckpoint;
}

/**
 * The recording of a session whose parts' prefix was freed: the live file up to the checkpoint,
 * then the parts from the checkpoint's keyframe on (repeats dropped as always) remuxed into
 * `<base>.rest.partial` as the live file is, the two joined as fMP4 parts are (re-timed to follow
 * each other). Coverage comes from the join plan of all the parts, whose heads and tails were
 * kept for it.
 */
async function livePrefixSource(
  parts: readonly string[],
  prefix: LivePrefix,
  settings: FinalizeSettings,
): Promise<PartsSource> {
  const { checkpoint } = prefix;
  const at = parts.indexOf(checkpoint.part);
  const live = await readFmp4Layout(prefix.file).catch(() => undefined);
  if (at < 0 || !live) {
    throw new MergeFailedError(
      `Cannot finalize "${settings.base}": the part "${checkpoint.part}" and the live file "${prefix.file}" hold its recording together and one is gone; parts kept in "${settings.tempDir}"`,
    );
  }
  const held = { ...live, fragments: live.fragments.filter((f) => f.end <= checkpoint.live_bytes) };
  const hevc = live.inits.some((init) =>
    [...init.tracks.values()].some((track) => /^hv[c1e]/.test(track.codec))
  );
  if (await partContainer(checkpoint.part) === "mp4") {
    return await appendedPrefixSource(parts, prefix, held, hevc, settings);
  }
  const joins = await planTsJoins(parts);
  const rest = join(settings.tempDir, `${settings.base}.rest.partial`);
  const restParts = parts.slice(at);
  const skips = [Math.max(checkpoint.offset, joins.skips[at] ?? 0), ...joins.skips.slice(at + 1)];
  const ffmpeg = lowPriorityCommand(
    "ffmpeg",
    liveFmp4Args(rest, { hevc }),
    settings.lowPriority ?? NORMAL_PRIORITY,
  );
  const result = await runWithInput(
    ffmpeg.command,
    ffmpeg.args,
    (sink) => copyFiles(restParts, sink, skips),
  );
  const restLayout = result.code === 0
    ? await readFmp4Layout(rest).catch(() => undefined)
    : undefined;
  if (!restLayout) {
    await removeIfExists(rest);
    throw new MergeFailedError(
      `Cannot finalize "${settings.base}": remuxing its parts after the live file failed: ${
        lastError(result.stderr)
      }; parts kept in "${settings.tempDir}"`,
    );
  }
  const layouts = [{ path: prefix.file, layout: held }, { path: rest, layout: restLayout }]
    .filter((part) => part.layout.fragments.length > 0);
  const source = await fmp4Source(layouts, layouts.map((part) => part.path), [], hevc);
  return {
    ...source,
    joins: { ...joins, skips: source.joins.skips },
    inputs: [...parts, rest],
  };
}

/**
 * {@link livePrefixSource} for fMP4 parts, whose fragments the live file took in as they are
 * (`live_fmp4.ts`): the live file's fragments up to the checkpoint, then the parts' from the
 * checkpoint on (repeats dropped by the join plan of all the parts, whose heads and tails were
 * kept for it; the freed ranges between read as zeros and are skipped), moved by the live file's
 * shift and given its init segment so that the two follow each other as one.
 */
async function appendedPrefixSource(
  parts: readonly string[],
  prefix: LivePrefix,
  held: Fmp4Layout,
  hevc: boolean,
  settings: FinalizeSettings,
): Promise<PartsSource> {
  const { checkpoint } = prefix;
  const { unreadable, layouts } = await sortParts(parts);
  const at = layouts.findIndex((part) => part.path === checkpoint.part);
  const liveInit = held.inits[0];
  if (at < 0 || !liveInit) {
    throw new MergeFailedError(
      `Cannot finalize "${settings.base}": the part "${checkpoint.part}" and the live file "${prefix.file}" hold its recording together and one is unreadable; parts kept in "${settings.tempDir}"`,
    );
  }
  const joins = await planFmp4Joins(layouts);
  const rest = layouts.slice(at).map((part, index) => {
    const kept = part.layout.fragments.slice(joins.skips[at + index] ?? 0)
      .filter((fragment) => index > 0 || fragmentStart(fragment) >= checkpoint.offset);
    const fragments = followingLive(kept, liveInit, checkpoint.shift_seconds ?? 0);
    return { path: part.path, layout: { ...part.layout, fragments } };
  });
  const layoutsFed = [{ path: prefix.file, layout: held }, ...rest]
    .filter((part) => part.layout.fragments.length > 0);
  const source = await fmp4Source(
    layoutsFed,
    layoutsFed.map((part) => part.path),
    unreadable,
    hevc,
  );
  return { ...source, joins: { ...joins, skips: source.joins.skips }, inputs: parts };
}

/** Where a fragment's `moof` starts in its file. */
function fragmentStart(fragment: Fmp4Fragment): number {
  return fragment.dataStart - fragment.moof.byteLength;
}

/**
 * Part fragments re-timed and re-labelled to continue a live file: decode times less the live
 * file's `shiftSeconds`, and the live file's init where theirs decodes alike (`initCore`).
 */
function followingLive(
  fragments: readonly Fmp4Fragment[],
  liveInit: Fmp4Init,
  shiftSeconds: number,
): Fmp4Fragment[] {
  const liveCore = initCore(liveInit);
  // Fragments share their part's init: each one is compared once, not once per fragment.
  const asLive = new Map<Fmp4Init, Fmp4Init>();
  const initOf = (init: Fmp4Init) => {
    if (!asLive.has(init)) asLive.set(init, sameBytes(initCore(init), liveCore) ? liveInit : init);
    return asLive.get(init)!;
  };
  return fragments.map((fragment) => {
    const init = initOf(fragment.init);
    const tracks = fragment.tracks.map((track) => {
      const timescale = fragment.init.tracks.get(track.trackId)?.timescale || 1;
      return { ...track, baseTime: track.baseTime - Math.round(shiftSeconds * timescale) };
    });
    return { ...fragment, init, tracks };
  });
}

/** Sorts parts by what their bytes are; unreadable ones (or of another container) are left out. */
async function readParts(
  parts: readonly string[],
  settings: FinalizeSettings,
): Promise<PartsSource> {
  const { readable, unreadable, layouts } = await sortParts(parts);
  const first = readable[0];
  if (!first) {
    throw new MergeFailedError(
      `Cannot finalize "${settings.base}": none of its ${parts.length} part(s) is readable; parts kept in "${settings.tempDir}"`,
    );
  }
  const paths = readable.map((part) => part.path);
  const hevc = (await probeMedia(first.path))?.streams.some((s) => s.codec_name === "hevc") ??
    false;
  if (first.container === "mp4") return await fmp4Source(layouts, paths, unreadable, hevc);
  const joins = await planTsJoins(paths);
  return {
    container: "mpegts",
    input: "mpegts",
    parts: paths,
    unreadable,
    joins,
    hevc,
    moovReserve: await estimateTsMoovReserve(paths),
    contentSeconds: 0,
    feed: (sink) => copyFiles(paths, sink, joins.skips),
  };
}

/** The parts of the first part's container, in order, with the fMP4 layouts read on the way. */
async function sortParts(parts: readonly string[]): Promise<{
  readable: { path: string; container: PartContainer }[];
  unreadable: string[];
  layouts: { path: string; layout: Fmp4Layout }[];
}> {
  const readable: { path: string; container: PartContainer }[] = [];
  const unreadable: string[] = [];
  const layouts: { path: string; layout: Fmp4Layout }[] = [];
  for (const part of parts) {
    const container = await partContainer(part);
    let ok = false;
    if (container === "mp4") {
      const layout = await readFmp4Layout(part).catch(() => undefined);
      if (layout && layout.fragments.length > 0) {
        layouts.push({ path: part, layout });
        ok = true;
      }
    } else if (container === "mpegts") {
      ok = await hasMediaStreams(part);
    }
    if (ok && container && (readable.length === 0 || readable[0]!.container === container)) {
      readable.push({ path: part, container });
    } else {
      unreadable.push(part);
      log.warn("Part {part} is not readable media like the others; left in place and skipped", {
        part,
      });
    }
  }
  return { readable, unreadable, layouts };
}

/**
 * fMP4 parts as one stream: fragments a later part repeats are left out, the timeline is
 * re-timed; a changed init segment goes through MPEG-TS when it can.
 */
async function fmp4Source(
  layouts: readonly { path: string; layout: Fmp4Layout }[],
  paths: readonly string[],
  unreadable: readonly string[],
  hevc: boolean,
): Promise<PartsSource> {
  const joins = await planFmp4Joins(layouts);
  const kept = layouts.map((part, index) => ({
    path: part.path,
    layout: { ...part.layout, fragments: part.layout.fragments.slice(joins.skips[index] ?? 0) },
  }));
  const plan = planFmp4Timeline(kept, DTS_JUMP_THRESHOLD_SECONDS);
  const common = {
    parts: paths,
    unreadable,
    joins,
    hevc,
    moovReserve: moovReserveForSamples((plan.samples.video + plan.samples.audio) * 1.05),
    contentSeconds: plan.contentSeconds,
  };
  if (plan.changedInits === 0) {
    return { ...common, container: "mp4", input: "mp4", feed: (sink) => writeFmp4Plan(plan, sink) };
  }
  const unusable = unbridgeable(plan);
  return {
    ...common,
    container: "mp4",
    input: unusable ? "mp4" : "mpegts",
    ...(unusable ? { unusable } : {}),
    feed: (sink) => bridgeThroughMpegts(plan, sink),
  };
}

/**
 * Why fMP4 whose init segment changes cannot go through MPEG-TS: only H.264 and HEVC travel
 * there, and one video codec for the whole recording (an MP4 track holds one).
 */
function unbridgeable(plan: Fmp4Plan): string | undefined {
  const codecs = new Set<string>();
  for (const { fragment } of plan.fragments) {
    for (const track of fragment.init.tracks.values()) {
      if (track.kind === "video") {
        codecs.add(track.codec.replace(/^avc3$/, "avc1").replace(/^hev1$/, "hvc1"));
      }
    }
  }
  const changes = `the codec configuration changes ${plan.changedInits} time(s) mid-recording`;
  if (codecs.size > 1) return `${changes}, to another codec (${[...codecs].join(", ")})`;
  const [codec = ""] = codecs;
  if (!["avc1", "hvc1", ""].includes(codec)) return `${changes} and ${codec} cannot be rewrapped`;
  return undefined;
}

/**
 * Feeds fMP4 fragments whose init segment changes as MPEG-TS: each run of fragments sharing an
 * init goes through its own ffmpeg rewrap (see {@link fmp4ToMpegtsArgs}), one after another.
 */
async function bridgeThroughMpegts(
  plan: Fmp4Plan,
  sink: WritableStreamDefaultWriter<Uint8Array>,
): Promise<void> {
  const runs: Fmp4Plan["fragments"][number][][] = [];
  for (const planned of plan.fragments) {
    const run = runs[runs.length - 1];
    const previous = run?.[run.length - 1];
    if (run && previous && sameInit(previous.fragment.init, planned.fragment.init)) {
      run.push(planned);
    } else {
      runs.push([planned]);
    }
  }
  for (const run of runs) {
    const result = await runFilter(
      "ffmpeg",
      fmp4ToMpegtsArgs(),
      (stdin) => writeFmp4Plan({ ...plan, fragments: run }, stdin),
      sink,
    );
    if (result.code !== 0) {
      throw new Error(`rewrapping fMP4 as MPEG-TS failed: ${lastError(result.stderr)}`);
    }
  }
}

/**
 * MPEG-TS carries no index, so the moov room is estimated from the first part's first seconds
 * (samples per byte) scaled to every part's bytes, with half again as slack.
 */
async function estimateTsMoovReserve(parts: readonly string[]): Promise<number> {
  let bytes = 0;
  for (const part of parts) bytes += (await Deno.stat(part)).size;
  const sample = await sampleDensity(parts[0]!);
  return moovReserveForSamples(bytes * sample * 1.5);
}

/** Video and audio packets per byte in the first seconds of a part. */
async function sampleDensity(part: string): Promise<number> {
  const result = await runCommand("ffprobe", [
    "-v",
    "error",
    "-read_intervals",
    "%+20",
    "-show_entries",
    "packet=codec_type,size",
    "-of",
    "csv=p=0",
    part,
  ]);
  let packets = 0;
  let size = 0;
  for (const line of result.stdout.split("\n")) {
    const [type, bytes] = line.split(",");
    if (type !== "video" && type !== "audio") continue;
    packets++;
    size += Number(bytes) || 0;
  }
  // MPEG-TS adds about 5 % of overhead to the payload; a tiny sample falls back to 64 bytes/sample.
  return packets > 100 && size > 0 ? packets / (size * 1.05) : 1 / 64;
}

/** Copies the parts to `sink`, each from its `skips` offset (the bytes it repeats) on. */
async function copyFiles(
  paths: readonly string[],
  sink: Pick<WritableStreamDefaultWriter<Uint8Array>, "write">,
  skips: readonly number[] = [],
): Promise<void> {
  const buffer = new Uint8Array(1 << 20);
  for (const [index, path] of paths.entries()) {
    const file = await Deno.open(path, { read: true });
    try {
      await file.seek(skips[index] ?? 0, Deno.SeekMode.Start);
      for (;;) {
        const n = await file.read(buffer);
        if (n === null) break;
        // The sink is done with a chunk once its write resolves: one buffer serves every read.
        await sink.write(buffer.subarray(0, n));
      }
    } finally {
      file.close();
    }
  }
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

/** Deletes the parts once their outputs are delivered (idempotent). */
export async function removeParts(
  parts: readonly string[],
  settings: FinalizeSettings,
): Promise<void> {
  for (const part of parts) await removeIfExists(part);
  await syncDirectory(settings.tempDir);
}

/** Removes half-written outputs a crash may have left for `base` (before staging again). */
export async function removeStaleOutputs(settings: FinalizeSettings): Promise<void> {
  for (const extension of ["mp4", "ts", "joined", "rest"]) {
    await removeIfExists(join(settings.tempDir, `${settings.base}.${extension}.partial`));
  }
}

/**
 * Last resort that loses nothing: parts are joined byte for byte (streamlink writes them that
 * way, MPEG-TS and fragmented MP4 alike) and keep their real container's extension. Verified by
 * size and by ffprobe finding the streams.
 */
async function joinBytes(
  source: PartsSource,
  settings: FinalizeSettings,
): Promise<Staged> {
  const path = join(settings.tempDir, `${settings.base}.joined.partial`);
  // MPEG-TS parts lose what they repeat of the part before, fMP4 parts are joined whole.
  const skips = source.container === "mpegts" ? source.joins.skips : [];
  let expected = 0;
  for (const [index, part] of source.parts.entries()) {
    expected += (await Deno.stat(part)).size - (skips[index] ?? 0);
  }
  const output = await Deno.open(path, { write: true, create: true, truncate: true });
  try {
    // Written through the file itself, not its `writable`: a failed write (ENOSPC) makes the
    // stream close the file, and the close below would then replace the real error with
    // "Bad resource ID".
    await copyFiles(source.parts, fileSink(output), skips);
    await output.sync();
  } catch (error) {
    closeQuietly(output);
    await removeIfExists(path);
    throw error;
  }
  closeQuietly(output);
  const size = (await Deno.stat(path)).size;
  if (size !== expected || !(await hasMediaStreams(path))) {
    await removeIfExists(path);
    throw new Error(`joining the parts wrote ${size} of ${expected} bytes`);
  }
  return {
    path,
    format: source.container === "mp4" ? "mp4" : "mpegts",
    container: source.container,
    verified: false,
  };
}

/** The part of a stream writer {@link copyFiles} uses, writing straight to `file`. */
function fileSink(file: Deno.FsFile): Pick<WritableStreamDefaultWriter<Uint8Array>, "write"> {
  return {
    write: async (chunk: Uint8Array) => {
      let written = 0;
      while (written < chunk.length) written += await file.write(chunk.subarray(written));
    },
  };
}

function closeQuietly(file: Deno.FsFile): void {
  try {
    file.close();
  } catch {
    // Already closed.
  }
}

/**
 * `Input stream #0:1 (audio): 1234 packets read`: what ffmpeg read of the first stream of each
 * kind (the one measured in the output).
 */
export function packetsRead(stderr: string): { video?: number; audio?: number } {
  const read: { video?: number; audio?: number } = {};
  for (
    const match of stderr.matchAll(/Input stream #0:\d+ \((video|audio)\): (\d+) packets read/g)
  ) {
    const kind = match[1] as "video" | "audio";
    read[kind] ??= Number(match[2]);
  }
  return read;
}

async function produceVerified(
  source: PartsSource,
  settings: FinalizeSettings,
  format: FinalFormat,
  reserveMoovBytes?: number,
): Promise<Staged> {
  const extension = format === "mp4" ? "mp4" : "ts";
  const path = join(settings.tempDir, `${settings.base}.${extension}.partial`);
  const args = pipeRemuxArgs(source.input, path, format, {
    hevc: source.hevc,
    rewrapped: source.container !== source.input,
    ...(reserveMoovBytes ? { reserveMoovBytes } : {}),
    ...(settings.metadataFile && format === "mp4" ? { metadataFile: settings.metadataFile } : {}),
  });
  try {
    const ffmpeg = lowPriorityCommand("ffmpeg", args, settings.lowPriority ?? NORMAL_PRIORITY);
    const result = await runWithInput(ffmpeg.command, ffmpeg.args, source.feed);
    // ffmpeg 5.1 can exit 0 after failing to write the index into a reservation too small.
    if (/reserved_moov_size is too small/.test(result.stderr)) {
      throw new Error("the room reserved for the moov was too small");
    }
    if (result.code !== 0) {
      throw new Error(`ffmpeg exited with ${result.code}: ${lastError(result.stderr)}`);
    }
    const content = await measureContent(path);
    if (!content) throw new Error(`ffmpeg wrote an unreadable ${extension}`);
    const packets = packetsRead(result.stderr);
    const main = content.video ? "video" : "audio";
    const seconds = source.contentSeconds ||
      (packets[main] ?? 0) * (content[main]?.step ?? 0);
    const problems = contentProblems(content, {
      seconds,
      hasVideo: (packets.video ?? 0) > 0,
      hasAudio: (packets.audio ?? 0) > 0,
      packets,
      maxHoleSeconds: DTS_JUMP_THRESHOLD_SECONDS + 1,
    });
    if (problems.length > 0) throw new Error(`the ${extension} ${problems.join("; ")}`);
    source.contentSeconds = seconds;
    return { path, format, container: source.container, verified: true };
  } catch (error) {
    await removeIfExists(path);
    throw error;
  }
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

/**
 * The line of ffmpeg's verbose stderr that tells why it failed: a full disk wherever it was said
 * (ffmpeg ends with "Conversion failed!", and the caller classes the failure by this line), else
 * the last line that reads like an error.
 */
function lastError(text: string): string {
  const lines = text.trim().split("\n");
  return lines.findLast((line) => NO_SPACE.test(line)) ??
    lines.findLast((line) => /error|invalid|failed|too small/i.test(line)) ?? lines.pop() ?? "";
}
