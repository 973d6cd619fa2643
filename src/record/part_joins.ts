/**
 * How a session's parts join: what each part repeats of the part before (dropped, so every
 * broadcast second is in the file once), and where the parts leave a hole. Repeats are found by
 * content (`part_overlap.ts`); a hole is measured on the media timeline where the next part
 * continues it, and reported with an unknown length where it does not (an encoder restart or a
 * new broadcast clock: no timestamp says how much is missing, and the wall clock is no measure).
 */
import type { MediaHole } from "../state/session_manifest.ts";
import type { Fmp4Layout } from "./fmp4_fragments.ts";
import { type Fmp4Part, fmp4RepeatedFragments, tsRepeatedBytes } from "./part_overlap.ts";
import {
  NEW_CLOCK_SECONDS,
  ptsDelta,
  TS_CLOCK,
  tsEdges,
  tsGapSeconds,
  videoPts,
} from "./ts_timestamps.ts";
import { roundMillis } from "../util/round_millis.ts";

/** A hole shorter than this is jitter between segments, not missing broadcast. */
const HOLE_MIN_SECONDS = 0.5;

/** What joining the parts drops and leaves out. */
export interface JoinPlan {
  /** Per part: leading bytes (MPEG-TS) or fragments (fMP4) that repeat the part before. */
  readonly skips: readonly number[];
  /** Seconds of video dropped as repeats. */
  readonly repeatsSeconds: number;
  /** Holes between parts, by their place in the joined recording. */
  readonly holes: readonly MediaHole[];
}

/** Plans the joins of MPEG-TS parts (in capture order). */
export async function planTsJoins(parts: readonly string[]): Promise<JoinPlan> {
  const skips: number[] = [];
  const holes: MediaHole[] = [];
  let repeats = 0;
  let at = 0;
  let previous: { path: string; last: number; step: number } | undefined;
  for (const part of parts) {
    const size = (await Deno.stat(part)).size;
    const skip = previous ? await tsRepeatedBytes(previous.path, part) : 0;
    skips.push(skip);
    if (skip > 0) {
      const dropped = await videoPts(part, 0, skip);
      repeats += dropped.length * (previous?.step ?? 0) / TS_CLOCK;
    }
    if (skip >= size) continue;
    const edges = await tsEdges(part, skip);
    if (!edges) continue;
    if (previous) {
      const hole = holeBetween(tsGapSeconds(previous, edges));
      if (hole !== undefined) holes.push({ at_seconds: roundMillis(at), seconds: hole });
    }
    const span = ptsDelta(edges.first, edges.last + edges.step) / TS_CLOCK;
    if (span > 0 && span < NEW_CLOCK_SECONDS) at += span;
    previous = { path: part, last: edges.last, step: edges.step };
  }
  return { skips, repeatsSeconds: roundMillis(repeats), holes };
}

/**
 * Plans the joins of fragmented-MP4 parts (in capture order). Seconds and holes are measured on
 * one track kind (video, or audio when there is none): a packager may put each track in its own
 * `moof`, and a part cut between the two holds a last fragment of one track only, so a
 * fragment's own first track says nothing about where the recording stands.
 */
export async function planFmp4Joins(parts: readonly Fmp4Part[]): Promise<JoinPlan> {
  const skips: number[] = [];
  const holes: MediaHole[] = [];
  const kind = measuredKind(parts);
  let repeats = 0;
  let at = 0;
  let previous: { part: Fmp4Part; end: number } | undefined;
  for (const part of parts) {
    const skip = previous ? await fmp4RepeatedFragments(previous.part, part) : 0;
    skips.push(skip);
    const fragments = part.layout.fragments;
    const dropped = spans(fragments.slice(0, skip), kind);
    const kept = spans(fragments.slice(skip), kind);
    for (const span of dropped) repeats += span.seconds;
    const head = kept[0];
    const tail = kept[kept.length - 1];
    if (!head || !tail) {
      // Only the other track's fragments are new: the part still carries the recording on.
      if (fragments.length > skip && previous) previous = { ...previous, part };
      continue;
    }
    if (previous) {
      const hole = holeBetween(head.start - previous.end);
      if (hole !== undefined) holes.push({ at_seconds: roundMillis(at), seconds: hole });
    }
    at += keptSeconds(kept);
    previous = { part, end: tail.start + tail.seconds };
  }
  return { skips, repeatsSeconds: roundMillis(repeats), holes };
}

/** The track kind seconds are measured on: video when any fragment carries video, else audio. */
function measuredKind(parts: readonly Fmp4Part[]): "video" | "audio" {
  const video = parts.some(({ layout }) =>
    layout.inits.some((init) => [...init.tracks.values()].some((t) => t.kind === "video"))
  );
  return video ? "video" : "audio";
}

/** A fragment's `kind` track on its part's timeline, seconds. */
interface Span {
  readonly start: number;
  readonly seconds: number;
  /** The first after a range freed while recording: the time since the one before was there. */
  readonly afterFreed?: true;
}

/** Seconds the spans of one part hold, a freed range's counted from the times around it. */
function keptSeconds(kept: readonly Span[]): number {
  let seconds = 0;
  let end: number | undefined;
  for (const span of kept) {
    if (span.afterFreed && end !== undefined) seconds += Math.max(0, span.start - end);
    seconds += span.seconds;
    end = span.start + span.seconds;
  }
  return seconds;
}

/** Start and length (seconds) of each fragment's `kind` track; fragments without one are left out. */
function spans(
  fragments: Fmp4Layout["fragments"],
  kind: "video" | "audio",
): Span[] {
  const found: Span[] = [];
  for (const fragment of fragments) {
    for (const track of fragment.tracks) {
      const info = fragment.init.tracks.get(track.trackId);
      if (info?.kind !== kind) continue;
      found.push({
        start: track.baseTime / info.timescale,
        seconds: track.duration / info.timescale,
        ...(fragment.afterFreed ? { afterFreed: true as const } : {}),
      });
      break;
    }
  }
  return found;
}

/**
 * The hole a jump of `delta` seconds between two parts leaves: undefined when the timeline
 * continues, `null` (unknown length) when it jumps back or to another clock.
 */
function holeBetween(delta: number): number | null | undefined {
  if (Math.abs(delta) < HOLE_MIN_SECONDS) return undefined;
  if (delta < 0 || delta > NEW_CLOCK_SECONDS) return null;
  return roundMillis(delta);
}
