/**
 * `<stem>.info.json`: what is known about a recording beside its video: the channel, the
 * broadcast (stream id and start, when the poller had them from the API), when capture began,
 * the title/game history, the parts on both clocks, the outages between them and the chat count.
 * `record` run by hand, without the API, writes what it knows (nulls for the rest).
 */
import { basename } from "node:path";
import type { JournalEntry } from "./chat_journal.ts";
import type { DeliveredTimeline } from "./delivered_timeline.ts";
import { type MetaChange, metaHistory } from "./session_chapters.ts";
import { roundMillis } from "../util/round_millis.ts";

/** The file's shape. */
export interface SessionInfo {
  readonly channel: string;
  readonly recording: string;
  readonly stream_id: string | null;
  readonly live_since: string | null;
  readonly capture_start: string;
  readonly first_data_at: string | null;
  readonly duration_seconds: number | null;
  readonly titles: readonly MetaChange[];
  readonly parts: readonly {
    readonly file: string;
    readonly first_frame_at: string;
    readonly start_seconds: number;
    readonly seconds: number;
  }[];
  /** The outages between parts; `gaps` in the file (kept for the scripts that read it). */
  readonly gaps: readonly CaptureOutage[];
  readonly chat_messages: number | null;
}

/**
 * A stretch of wall-clock time between two parts when nothing was captured (a reconnect): from
 * the last frame of one part to the first of the next. Unlike a media hole of the coverage record
 * (`state/session_manifest.ts` `MediaHole`), it is measured on the wall clock, and exists at every
 * join even when the file closes it up.
 */
export interface CaptureOutage {
  /** Where in the delivered file the outage falls. */
  readonly at_seconds: number;
  readonly from: string;
  readonly to: string;
  /** Seconds of the broadcast not captured. */
  readonly missed_seconds: number;
  /** Seconds of it left as a hole in the file (short outages; longer ones are closed). */
  readonly kept_seconds: number;
}

/** Builds the info of a delivered session. */
export function sessionInfo(
  session: {
    readonly user: string;
    readonly started_at: string;
    readonly stream_id?: string;
    readonly live_since?: string;
    readonly first_data_at?: string;
    readonly duration?: number;
  },
  recording: string,
  entries: readonly JournalEntry[],
  timeline: DeliveredTimeline,
  chatMessages: number | null,
): SessionInfo {
  const spans = timeline.spans;
  return {
    channel: session.user,
    recording: basename(recording),
    stream_id: session.stream_id ?? null,
    live_since: session.live_since ?? null,
    capture_start: session.started_at,
    first_data_at: session.first_data_at ?? null,
    duration_seconds: session.duration ?? null,
    titles: metaHistory(entries, timeline),
    parts: spans.map((span) => ({
      file: basename(span.path),
      first_frame_at: new Date(span.anchorMs).toISOString(),
      start_seconds: roundMillis(span.startSeconds),
      seconds: roundMillis(span.seconds),
    })),
    gaps: captureOutages(spans),
    chat_messages: chatMessages,
  };
}

/** The outage before each part but the first. */
function captureOutages(spans: DeliveredTimeline["spans"]): CaptureOutage[] {
  return spans.slice(1).map((span, i) => {
    const previous = spans[i]!;
    const endMs = previous.anchorMs + previous.seconds * 1000;
    const at = previous.startSeconds + previous.seconds;
    return {
      at_seconds: roundMillis(at),
      from: new Date(endMs).toISOString(),
      to: new Date(span.anchorMs).toISOString(),
      missed_seconds: roundMillis(Math.max(0, (span.anchorMs - endMs) / 1000)),
      kept_seconds: roundMillis(span.startSeconds - at),
    };
  });
}
