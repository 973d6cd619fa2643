/**
 * Reads ffmpeg's `-progress` output: blocks of `key=value` lines, each ended by
 * `progress=continue` (or `progress=end` for the last one). Only the block end produces a
 * snapshot, so a half-received block never yields a mixed reading.
 */

/** How far an ffmpeg run got, as of the last complete progress block. */
export interface ProgressSnapshot {
  /** Media seconds written so far. */
  readonly outSeconds: number;
  /** 0-100 of the input's duration; `null` when the duration is unknown. */
  readonly percent: number | null;
  /** Encoding speed as a multiple of real time (`2.5` for `2.5x`); `null` before ffmpeg knows. */
  readonly speed: number | null;
  /** Seconds left at the current speed; `null` when it cannot be estimated. */
  readonly etaSeconds: number | null;
  /** True for the final block. */
  readonly done: boolean;
}

/** Feeds lines in, gets a snapshot out at the end of each block. */
export class ProgressParser {
  private block = new Map<string, string>();

  /** `durationSeconds` of the input (from ffprobe) turns media time into a percentage. */
  constructor(private readonly durationSeconds: number | null) {}

  /** Takes one output line; returns a snapshot when the line ends a block. */
  push(line: string): ProgressSnapshot | undefined {
    const separator = line.indexOf("=");
    if (separator <= 0) return undefined;
    const key = line.slice(0, separator).trim();
    const value = line.slice(separator + 1).trim();
    if (key !== "progress") {
      this.block.set(key, value);
      return undefined;
    }
    const snapshot = this.snapshot(value === "end");
    this.block = new Map();
    return snapshot;
  }

  private snapshot(done: boolean): ProgressSnapshot {
    const outSeconds = Math.max(0, this.outTime() ?? 0);
    const speedText = this.block.get("speed")?.replace(/x$/, "");
    const speedValue = speedText === undefined ? NaN : Number(speedText);
    const speed = Number.isFinite(speedValue) && speedValue > 0 ? speedValue : null;
    const duration = this.durationSeconds !== null && this.durationSeconds > 0
      ? this.durationSeconds
      : null;
    const percent = duration === null
      ? null
      : done
      ? 100
      : Math.min(100, Math.max(0, (outSeconds / duration) * 100));
    const etaSeconds = done
      ? 0
      : duration === null || speed === null
      ? null
      : Math.max(0, (duration - outSeconds) / speed);
    return { outSeconds, percent, speed, etaSeconds, done };
  }

  /** `out_time_us` is microseconds; older ffmpeg also mislabels it `out_time_ms`. */
  private outTime(): number | undefined {
    for (const key of ["out_time_us", "out_time_ms"]) {
      const micros = Number(this.block.get(key));
      if (Number.isFinite(micros)) return micros / 1_000_000;
    }
    const clock = /^(-?)(\d+):(\d+):(\d+(?:\.\d+)?)$/.exec(this.block.get("out_time") ?? "");
    if (!clock) return undefined;
    const seconds = Number(clock[2]) * 3600 + Number(clock[3]) * 60 + Number(clock[4]);
    return clock[1] ? -seconds : seconds;
  }
}
