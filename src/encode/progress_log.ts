/**
 * When an encode is worth a log line: every `percentStep` percent and at least every
 * `everyMs`, so a three-minute encode is not silent between its start and end lines and a
 * three-hour one does not flood the journal.
 */
import { formatDuration } from "../util/format_duration.ts";
import type { ProgressSnapshot } from "./progress_parser.ts";

/** The progress figures a line is made of (status files carry the same three). */
export type ProgressFigures = Pick<ProgressSnapshot, "percent" | "speed" | "etaSeconds">;

/** `42.5%, 1.5x, about 1m30s left`; `?%` while the duration is unknown. */
export function describeProgress(progress: ProgressFigures): string {
  const parts = [progress.percent === null ? "?%" : `${progress.percent.toFixed(1)}%`];
  if (progress.speed !== null) parts.push(`${Math.round(progress.speed * 100) / 100}x`);
  if (progress.etaSeconds !== null) parts.push(`about ${formatDuration(progress.etaSeconds)} left`);
  return parts.join(", ");
}

/** Throttles progress snapshots of one ffmpeg run down to the ones to log. */
export class ProgressLog {
  private step = 0;
  private lastAt: number;

  constructor(
    private readonly now: () => number,
    private readonly options: { percentStep: number; everyMs: number } = {
      percentStep: 10,
      everyMs: 60_000,
    },
  ) {
    this.lastAt = now();
  }

  /** The line to log for `snapshot`, or undefined when the last line is recent enough. */
  next(snapshot: ProgressSnapshot): string | undefined {
    if (snapshot.done) return undefined;
    const step = snapshot.percent === null
      ? this.step
      : Math.floor(snapshot.percent / this.options.percentStep);
    const at = this.now();
    if (step <= this.step && at - this.lastAt < this.options.everyMs) return undefined;
    this.step = Math.max(step, this.step);
    this.lastAt = at;
    return describeProgress(snapshot);
  }
}
