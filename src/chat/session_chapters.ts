/**
 * Title and game changes as chapters of the delivered `.mp4`. Each change the poller saw
 * while recording starts a chapter at its moment on the delivered timeline (the same mapping
 * as chat offsets), written as an ffmetadata file that the finalize pass already running
 * reads as a second input: no second pass over the video.
 */
import type { JournalEntry } from "./chat_journal.ts";
import type { DeliveredTimeline } from "./delivered_timeline.ts";
import { roundMillis } from "../util/round_millis.ts";

/** One title/game as seen, and where it is in the delivered file. */
export interface MetaChange {
  readonly at: string;
  readonly title: string | null;
  readonly game: string | null;
  /** Seconds into the delivered file; null when seen after the broadcast's end. */
  readonly offset_seconds: number | null;
}

/** A chapter of the delivered file, seconds. */
export interface Chapter {
  readonly start: number;
  readonly end: number;
  readonly title: string;
}

/** Every title/game change in the journal, in order, placed on the delivered timeline. */
export function metaHistory(
  entries: readonly JournalEntry[],
  timeline: DeliveredTimeline,
): MetaChange[] {
  const changes: MetaChange[] = [];
  for (const entry of entries) {
    if (entry.k !== "meta") continue;
    const last = changes.at(-1);
    const title = entry.title ?? last?.title ?? null;
    const game = entry.game ?? last?.game ?? null;
    if (last && last.title === title && last.game === game) continue;
    const offset = timeline.position(entry.w);
    changes.push({
      at: new Date(entry.w).toISOString(),
      title,
      game,
      offset_seconds: offset === undefined ? null : roundMillis(offset),
    });
  }
  return changes;
}

/** Chapters from the changes: each runs to the next; two at one moment keep the later. */
export function chaptersOf(changes: readonly MetaChange[], totalSeconds: number): Chapter[] {
  const starts: { start: number; title: string }[] = [];
  for (const change of changes) {
    if (change.offset_seconds === null) continue;
    const title = [change.title, change.game && `(${change.game})`].filter(Boolean).join(" ");
    const start = Math.min(change.offset_seconds, totalSeconds);
    if (starts.length > 0 && start - starts.at(-1)!.start < 1) starts.pop();
    starts.push({ start: starts.length === 0 ? 0 : start, title: title || "Untitled" });
  }
  return starts.map((chapter, i) => ({
    ...chapter,
    end: starts[i + 1]?.start ?? totalSeconds,
  })).filter((chapter) => chapter.end > chapter.start);
}

/** The ffmetadata text for `chapters` (and the first title as the file's title). */
export function ffmetadata(chapters: readonly Chapter[]): string {
  const escape = (text: string) => text.replace(/[=;#\\\n]/g, (c) => `\\${c}`);
  const lines = [";FFMETADATA1"];
  if (chapters[0]) lines.push(`title=${escape(chapters[0].title)}`);
  for (const chapter of chapters) {
    lines.push(
      "[CHAPTER]",
      "TIMEBASE=1/1000",
      `START=${Math.round(chapter.start * 1000)}`,
      `END=${Math.round(chapter.end * 1000)}`,
      `title=${escape(chapter.title)}`,
    );
  }
  return lines.join("\n") + "\n";
}
