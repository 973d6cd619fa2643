/**
 * Where a wall-clock moment is in the delivered file. The chat client knows when a message
 * arrived; the archive needs the position in the `.mp4`, which is not "seconds since the
 * recording started": each streamlink starts at the oldest segment the live playlist still holds
 * (about 30 s back) and catches up within seconds, an outage leaves a gap that finalize closes,
 * parts are joined end to end.
 *
 * While capturing, the recorder samples each part's media length `d` at wall time `w`. Once
 * streamlink has caught up, the file is kept at the live edge and `w - d` is the wall time of the
 * part's first frame (give or
 * take a segment, in both directions: the median of the samples lands close). A message at `T`
 * is then `T - anchor` into its part, and the part starts where the previous ones end in the
 * delivered file. A message from an outage (between parts) lands at the gap; one before the
 * first frame at 0; one after the last frame is not part of the broadcast and is dropped. A part
 * back-filled from the VOD was not watched: it borrows its anchor from its neighbours' clock.
 */
import type { JournalEntry } from "./chat_journal.ts";

/**
 * A part as delivered: its path and its first and last timestamps on the broadcast's clock
 * (seconds), null when unknown (fMP4: only its length from the samples is known then).
 */
export interface DeliveredPart {
  readonly path: string;
  readonly range: { readonly start: number; readonly end: number } | null;
}

/** A part placed on both clocks. */
export interface PartSpan {
  readonly path: string;
  /** Wall time (ms) of the part's first frame. */
  readonly anchorMs: number;
  /** Where the part starts in the delivered file, seconds. */
  readonly startSeconds: number;
  readonly seconds: number;
}

/** Messages this long after the last frame still count (sampling is not exact). */
const END_GRACE_SECONDS = 2;

/** Wall time → position in the delivered file, for one recording. */
export class DeliveredTimeline {
  readonly spans: readonly PartSpan[];
  readonly totalSeconds: number;

  /**
   * `holeSeconds` is finalize's rule for a forward timestamp jump between parts: up to this
   * long it stays in the file as a hole (the same broadcast clock), longer ones are closed.
   * `entries` need not hold the chat lines (only parts, samples and their times are read);
   * `lastMs` is the journal's last time, chat included (the latest of `entries` by default).
   */
  constructor(
    parts: readonly DeliveredPart[],
    entries: readonly JournalEntry[],
    holeSeconds = 10,
    lastMs = latestTime(entries),
  ) {
    const spans: PartSpan[] = [];
    let start = 0;
    let previousEnd: number | undefined;
    let previous: DeliveredPart["range"] | undefined;
    const own = parts.map((part) => ownAnchor(part.path, entries));
    for (const [index, part] of parts.entries()) {
      const { samples, runs } = own[index]!;
      const anchorMs = own[index]!.anchorMs ?? borrowedAnchor(parts, own, index);
      if (anchorMs === undefined) continue;
      const sampled = Math.max(0, ...samples.map((s) => s.d));
      const span = part.range ? part.range.end - part.range.start : 0;
      // The part was written in real time: a timestamp jump inside it (an ad on its own
      // clock, closed by finalize) moves the clock's anchor, and the part lasts from its first
      // anchor to where the last run's clock ends.
      const seconds = span > 0
        ? span + ((runs.at(-1) ?? anchorMs) - anchorMs) / 1000
        : sampled > 0
        ? sampled
        : wallSeconds(entries, part.path, anchorMs, lastMs);
      const hole = part.range && previousEnd !== undefined ? part.range.start - previousEnd : 0;
      if (hole > 0 && hole <= holeSeconds) start += hole;
      // Finalize drops what a part repeats of the one before: its delivered media starts later.
      const repeated = Math.min(repeatedHead(part.range, previous), seconds);
      previous = part.range ?? undefined;
      previousEnd = part.range?.end;
      spans.push({
        path: part.path,
        anchorMs: anchorMs + repeated * 1000,
        startSeconds: start,
        seconds: seconds - repeated,
      });
      start += seconds - repeated;
    }
    this.spans = spans;
    this.totalSeconds = start;
  }

  /** Seconds into the delivered file for a moment, or undefined after the broadcast's end. */
  position(wallMs: number): number | undefined {
    for (const span of this.spans) {
      const into = (wallMs - span.anchorMs) / 1000;
      if (into <= span.seconds) return span.startSeconds + Math.max(0, into);
    }
    const last = this.spans.at(-1);
    if (!last) return 0;
    const after = (wallMs - last.anchorMs) / 1000 - last.seconds;
    return after <= END_GRACE_SECONDS ? this.totalSeconds : undefined;
  }

  /** Wall time (ms) of the delivered file's first frame, when any part is known. */
  get startMs(): number | undefined {
    return this.spans[0]?.anchorMs;
  }
}

/**
 * Seconds at the head of a part that repeat the end of the part before: it starts inside the
 * previous part's span on the same clock (a new streamlink reached back into the live window;
 * finalize drops those bytes). A jump back to before the previous part (another clock) is not.
 */
function repeatedHead(
  range: DeliveredPart["range"],
  previous: DeliveredPart["range"] | undefined,
): number {
  if (!range || !previous) return 0;
  const inside = range.start >= previous.start && range.start < previous.end;
  return inside ? Math.min(previous.end, range.end) - range.start : 0;
}

/** A part's samples, their anchor runs and the wall time of its first frame, if it was seen. */
function ownAnchor(path: string, entries: readonly JournalEntry[]) {
  const samples = entries.filter((e) => e.k === "sample" && e.part === path) as Extract<
    JournalEntry,
    { k: "sample" }
  >[];
  const runs = anchorRuns(samples.filter((s) => s.d > 0));
  const started = entries.find((e) => e.k === "part" && e.part === path)?.w;
  return { samples, runs, anchorMs: runs[0] ?? started ?? samples[0]?.w };
}

/**
 * The wall time of a part nobody watched being written (one back-filled from the VOD: same
 * broadcast clock, matched by its bytes at the seams), from the nearest part that was: both
 * clocks run together, so its first frame is as far from that part's as their timestamps are.
 */
function borrowedAnchor(
  parts: readonly DeliveredPart[],
  own: readonly { anchorMs: number | undefined }[],
  index: number,
): number | undefined {
  const range = parts[index]!.range;
  if (!range) return undefined;
  const order = parts.map((_, j) => j).filter((j) => j !== index)
    .sort((a, b) => Math.abs(a - index) - Math.abs(b - index));
  for (const j of order) {
    const anchor = own[j]!.anchorMs;
    const other = parts[j]!.range;
    if (anchor !== undefined && other) return anchor + (range.start - other.start) * 1000;
  }
  return undefined;
}

/**
 * A part with no clock to read (fragmented MP4: no PCR, no samples): as long as the wall clock
 * says, from its start to the next part's start, or to the last journal entry.
 */
function wallSeconds(
  entries: readonly JournalEntry[],
  path: string,
  anchorMs: number,
  lastMs: number,
): number {
  const starts = entries.filter((e) => e.k === "part").map((e) => e as { w: number; part: string });
  const index = starts.findIndex((e) => e.part === path);
  const next = starts.slice(index + 1).find((e) => e.part !== path)?.w;
  return Math.max(0, ((next ?? lastMs) - anchorMs) / 1000);
}

/** The latest time in `entries` (a loop: a long journal is too many arguments for `Math.max`). */
function latestTime(entries: readonly JournalEntry[]): number {
  let latest = -Infinity;
  for (const entry of entries) latest = Math.max(latest, entry.w);
  return latest;
}

/**
 * The wall time of the part's first timestamp, per run of samples: a new run starts where
 * `w - d` moves by more than {@link RUN_BREAK_MS} (the part's timestamps jumped); each run's
 * median.
 */
function anchorRuns(samples: readonly { w: number; d: number }[]): number[] {
  const runs: number[][] = [];
  for (const sample of samples) {
    const anchor = sample.w - sample.d * 1000;
    const run = runs.at(-1);
    const typical = run ? median(run)! : undefined;
    if (run && typical !== undefined && Math.abs(anchor - typical) <= RUN_BREAK_MS) {
      run.push(anchor);
    } else {
      runs.push([anchor]);
    }
  }
  // A lone sample is noise (a read during a burst), not a jump; with nothing else, use all.
  const kept = runs.filter((run) => run.length > 1);
  if (kept.length === 0 && samples.length > 0) {
    return [median(samples.map((s) => s.w - s.d * 1000))!];
  }
  return kept.map((run) => median(run)!);
}

/**
 * How far `w - d` may wander within one run: a segment (2 s on Twitch) either way, and then
 * some; ads last 15 s and more.
 */
const RUN_BREAK_MS = 4000;

function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
