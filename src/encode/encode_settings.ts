/**
 * The encoder's settings taken from `[encode_daemon]`, clamped to what ffmpeg accepts. Config
 * loading only checks types, so an out-of-range value (say `ENCODER_CRF=60`) reaches us here;
 * clamping with a warning keeps the daemon running instead of failing every job.
 */
import type { Config } from "../config/config.ts";
import { describeValue } from "../config/value_origin.ts";
import type { EncodeArgsSpec } from "../proc/ffmpeg_args.ts";

/** What every encode (daemon and `tscompress`) runs with: the ffmpeg spec minus the files. */
export type EncodeSettings = Omit<EncodeArgsSpec, "input" | "output">;

/** Inclusive bounds of the clamped numeric settings. */
export const ENCODE_LIMITS = {
  crf: { min: 0, max: 51 },
  threads: { min: 0, max: 64 },
  height: { min: 144, max: 2160 },
} as const;

/** Settings plus one message per value that had to change. */
export interface ResolvedEncodeSettings {
  readonly settings: EncodeSettings;
  readonly warnings: string[];
}

/**
 * Clamps crf (0-51), threads (0-64) and height (144-2160, made even because 4:2:0 video needs
 * even dimensions), returning a warning for each adjusted value that names where the value
 * came from (`origins`: flag, environment variable or file:line, see {@link Config.origins}).
 */
export function resolveEncodeSettings(
  source: Config["encodeDaemon"],
  origins: Config["origins"] = {},
): ResolvedEncodeSettings {
  const warnings: string[] = [];
  const clamp = (name: keyof typeof ENCODE_LIMITS, value: number): number => {
    const { min, max } = ENCODE_LIMITS[name];
    const clamped = Math.min(max, Math.max(min, Math.round(value)));
    if (clamped !== value) {
      const key = `encode_daemon.${name}`;
      warnings.push(
        `${describeValue(key, value, origins[key])} is outside ${min}-${max}: using ${clamped}`,
      );
    }
    return clamped;
  };
  const crf = clamp("crf", source.crf);
  const threads = clamp("threads", source.threads);
  let height = clamp("height", source.height);
  if (height % 2 !== 0) {
    const even = height - 1;
    const key = "encode_daemon.height";
    warnings.push(`${describeValue(key, height, origins[key])} is odd: using ${even}`);
    height = even;
  }
  return {
    settings: {
      videoCodec: source.videoCodec,
      preset: source.preset,
      crf,
      threads,
      height,
      fps: source.fps,
      audioBitrate: source.audioBitrate,
      loglevel: source.loglevel,
    },
    warnings,
  };
}
