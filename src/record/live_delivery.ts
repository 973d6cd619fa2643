/**
 * Finishing a session whose deliverable was written while recording (`live_remux.ts`): the
 * closed live file is verified by its fragment boxes (only the small `moof`s are read, so a
 * 40 GB recording is checked in a moment) against the packets its ffmpeg read, and staged as the
 * deliverable in place of a pass over the parts. Whenever it cannot be used, the reason is
 * returned and the caller finalizes the parts as before.
 */
import { DTS_JUMP_THRESHOLD_SECONDS } from "../proc/ffmpeg_args.ts";
import type { LiveRemuxJournal, SessionManifest } from "../state/session_manifest.ts";
import { statOrUndefined } from "../state/atomic_write.ts";
import { roundMillis } from "../util/round_millis.ts";
import { deliveryTargets, type FinalizeSettings, type StagedFinalize } from "./finalize.ts";
import { type Fmp4Layout, readFmp4Layout } from "./fmp4_fragments.ts";
import { type JoinPlan, planFmp4Joins, planTsJoins } from "./part_joins.ts";
import { partContainer } from "./part_container.ts";
import { writeLiveHeader } from "./live_header.ts";
import type { Chapter } from "../chat/session_chapters.ts";

/**
 * Why the parts deliver although the live file is fine: content only finalize can add (or a
 * second output). Not a failure of the live path, so the encode job gets no note for it.
 */
export const PLANNED_FALLBACKS = {
  mergedTs: "a merged .ts is asked for, which only finalize writes",
  backfill: "back-fill inserts content from the VOD",
} as const;

/** Whether the parts delivered for a {@link PLANNED_FALLBACKS} reason. */
export function isPlannedFallback(reason: string | undefined): boolean {
  return Object.values(PLANNED_FALLBACKS).some((planned) => planned === reason);
}

/** What the fragments of a live file hold of one kind of track. */
interface TrackSum {
  samples: number;
  seconds: number;
  longestHole: number;
  backJumps: number;
}

/**
 * The live file staged as the session's deliverable, with its `chapters` written into its index
 * (`live_header.ts`), or why it cannot be: not closed cleanly, a merged `.ts` asked for too,
 * back-fill to put in, a failed verification, or chapters that do not fit.
 */
export async function stageLiveDelivery(
  manifest: SessionManifest,
  settings: FinalizeSettings,
  chapters: readonly Chapter[],
): Promise<StagedFinalize | string> {
  const live = manifest.live;
  if (!live) return "live remux is off";
  if (live.state !== "closed") {
    return live.reason ?? "the live file was not closed: its recorder stopped mid-recording";
  }
  if (!manifest.enable_remux || !manifest.delete_ts_after_remux) return PLANNED_FALLBACKS.mergedTs;
  if ((manifest.backfill?.seconds ?? 0) > 0) return PLANNED_FALLBACKS.backfill;
  const problem = await liveFileProblem(live);
  if (typeof problem === "string") return `the live file ${problem}`;
  const unwritten = await writeLiveHeader(live.file, chapters);
  if (unwritten) return `the chapters cannot be written into the live file: ${unwritten}`;
  const joins = await joinsOf(manifest.parts);
  const deliveries = await deliveryTargets(
    [{ path: live.file, format: "mp4", container: "mpegts", verified: true }],
    settings,
  );
  return {
    deliveries,
    readableParts: manifest.parts,
    unreadableParts: [],
    duration: problem.seconds,
    coverage: {
      captured_seconds: roundMillis(problem.seconds),
      backfilled_seconds: 0,
      repeats_dropped_seconds: joins.repeatsSeconds,
      gaps: joins.holes,
      delivered_by: "live",
    },
  };
}

/** The parts' join plan (repeats and holes, for the coverage), MPEG-TS or fMP4 alike. */
async function joinsOf(parts: readonly string[]): Promise<JoinPlan> {
  const first = parts[0];
  if (!first || (await partContainer(first).catch(() => undefined)) !== "mp4") {
    return await planTsJoins(parts);
  }
  const layouts = [];
  for (const path of parts) {
    const layout = await readFmp4Layout(path).catch(() => undefined);
    if (layout && layout.fragments.length > 0) layouts.push({ path, layout });
  }
  return await planFmp4Joins(layouts);
}

/** Why the live file is not whole, or the seconds of media it holds. */
async function liveFileProblem(live: LiveRemuxJournal): Promise<string | { seconds: number }> {
  if (!(await statOrUndefined(live.file))) return "is gone";
  const layout = await readFmp4Layout(live.file).catch(() => undefined);
  if (!layout || layout.fragments.length === 0) return "holds no fragment";
  if (layout.completeBytes !== layout.size) return "ends with a cut-off write";
  const sums = trackSums(layout);
  for (const kind of ["video", "audio"] as const) {
    const want = live.packets?.[kind];
    const have = sums[kind]?.samples ?? 0;
    if (want !== undefined && have < want - Math.max(2, want * 0.002)) {
      return `holds ${have} ${kind} samples where ffmpeg read ${want} packets`;
    }
    const sum = sums[kind];
    if (sum && sum.backJumps > 0) return `has ${kind} fragments that go back in time`;
    if (sum && sum.longestHole > DTS_JUMP_THRESHOLD_SECONDS + 1) {
      return `has a ${sum.longestHole.toFixed(1)} s hole in the ${kind}`;
    }
  }
  const main = sums.video ?? sums.audio;
  if (!main) return "holds no video or audio";
  return { seconds: main.seconds };
}

/** Samples, seconds and timeline breaks per kind of track (the first track of each kind). */
function trackSums(layout: Fmp4Layout): { video?: TrackSum; audio?: TrackSum } {
  const sums: { video?: TrackSum; audio?: TrackSum } = {};
  const ends = new Map<number, number>();
  for (const fragment of layout.fragments) {
    for (const track of fragment.tracks) {
      const info = fragment.init.tracks.get(track.trackId);
      if (!info || info.kind === "other") continue;
      const sum = sums[info.kind] ??= { samples: 0, seconds: 0, longestHole: 0, backJumps: 0 };
      const end = ends.get(track.trackId);
      if (end !== undefined) {
        const step = (track.baseTime - end) / info.timescale;
        if (step < -0.001) sum.backJumps++;
        sum.longestHole = Math.max(sum.longestHole, step);
      }
      ends.set(track.trackId, track.baseTime + track.duration);
      sum.samples += track.samples;
      sum.seconds += track.duration / info.timescale;
    }
  }
  return sums;
}
