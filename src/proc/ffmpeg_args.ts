/**
 * Pure builders for ffmpeg command lines and the concat list they read.
 */

/** Container of a finalized recording. */
export type FinalFormat = "mp4" | "mpegts";

/** The concat demuxer's list file for `parts` (absolute paths, quotes escaped). */
export function concatList(parts: readonly string[]): string {
  return parts.map((part) => `file '${part.replaceAll("'", "'\\''")}'\n`).join("");
}

/**
 * One pass from the captured parts to a finished file: the concat demuxer shifts each part's
 * timestamps to start where the previous ended (continuous timeline across reconnects), and
 * streams are copied, not re-encoded. MP4 gets `+faststart` so players start at once.
 */
export function concatRemuxArgs(
  listFile: string,
  output: string,
  format: FinalFormat,
  options: { reserveMoovBytes?: number } = {},
): string[] {
  return [
    "-hide_banner",
    "-nostdin",
    "-loglevel",
    "error",
    "-fflags",
    "+genpts+discardcorrupt",
    "-f",
    "concat",
    "-safe",
    "0",
    "-i",
    listFile,
    "-map",
    "0:v?",
    "-map",
    "0:a?",
    "-c",
    "copy",
    ...(format === "mp4" ? moovPlacement(options.reserveMoovBytes) : []),
    "-f",
    format,
    "-y",
    output,
  ];
}

/**
 * Puts the MP4 index (moov) before the media. With room reserved up front (`-moov_size`) the
 * file is written once; `+faststart` instead rewrites the whole file after muxing.
 */
function moovPlacement(reserveMoovBytes: number | undefined): string[] {
  return reserveMoovBytes ? ["-moov_size", String(Math.ceil(reserveMoovBytes))] : [
    "-movflags",
    "+faststart",
  ];
}

/**
 * Room to reserve for the moov of `seconds` of media: an upper bound of 60 fps video plus
 * 48 kHz AAC (about 110 samples a second) at 18 index bytes a sample, plus 256 KiB. Measured:
 * 30 fps + 44.1 kHz AAC needs about 13 bytes a sample. Too small is caught by verification.
 */
export function moovReserveBytes(seconds: number): number {
  return Math.ceil(Math.max(0, seconds) * 110 * 18) + 256 * 1024;
}

/** MP4 output ready to play at once, with `-progress` key=value lines on stdout for a progress bar. */
function faststartMp4WithProgress(output: string): string[] {
  return ["-movflags", "+faststart", "-progress", "pipe:1", "-nostats", "-f", "mp4", output];
}

/** `ffprobe` argv returning duration and streams as JSON. */
export function probeArgs(path: string): string[] {
  return [
    "-v",
    "error",
    "-show_entries",
    "format=duration:stream=codec_type,codec_name,width,height",
    "-of",
    "json",
    path,
  ];
}

/** Settings of one encode, already clamped (see `src/encode/encode_settings.ts`). */
export interface EncodeArgsSpec {
  readonly input: string;
  /** Where ffmpeg writes: the temporary name beside the target, never the target itself. */
  readonly output: string;
  readonly videoCodec: string;
  readonly preset: string;
  readonly crf: number;
  /** 0 lets the codec choose. */
  readonly threads: number;
  /** Even output height; the width follows the aspect ratio, rounded to even. */
  readonly height: number;
  /** `auto` keeps the source rate; a number or fraction forces it. */
  readonly fps: string;
  readonly audioBitrate: string;
  readonly loglevel: string;
}

/**
 * The encode: scale to `height` keeping the aspect ratio with an even width (`-2`, which
 * 4:2:0 codecs require), optional fps, first video stream only (an audio-only recording
 * still encodes), CRF quality, limited threads, AAC audio, MP4 with
 * `+faststart`, and `-progress pipe:1` so the caller can read how far it got. x265 ignores
 * `-threads`, so its own thread pool is capped through `-x265-params pools=N`; `hvc1` tagging
 * lets Apple players open HEVC in MP4.
 */
export function encodeArgs(spec: EncodeArgsSpec): string[] {
  const filters = [`scale=-2:${spec.height}`];
  if (spec.fps !== "auto") filters.push(`fps=${spec.fps}`);
  const isX265 = spec.videoCodec === "libx265";
  const x265Params = ["log-level=error", ...(spec.threads > 0 ? [`pools=${spec.threads}`] : [])];
  return [
    "-hide_banner",
    "-nostdin",
    "-loglevel",
    spec.loglevel,
    "-y",
    "-i",
    spec.input,
    "-map",
    "0:v:0?",
    "-map",
    "0:a?",
    "-vf",
    filters.join(","),
    "-c:v",
    spec.videoCodec,
    "-preset",
    spec.preset,
    "-crf",
    String(spec.crf),
    "-pix_fmt",
    "yuv420p",
    "-threads",
    String(spec.threads),
    ...(isX265 ? ["-x265-params", x265Params.join(":"), "-tag:v", "hvc1"] : []),
    "-c:a",
    "aac",
    "-b:a",
    spec.audioBitrate,
    ...faststartMp4WithProgress(spec.output),
  ];
}

/**
 * Copies a `.ts` recording into MP4 without re-encoding (`tscompress`'s first step). Data
 * streams (Twitch's ID3 metadata) cannot go into MP4, so only video and audio are mapped.
 */
export function remuxArgs(input: string, output: string, loglevel: string): string[] {
  return [
    "-hide_banner",
    "-nostdin",
    "-loglevel",
    loglevel,
    "-y",
    "-fflags",
    "+genpts+discardcorrupt",
    "-i",
    input,
    "-map",
    "0:v?",
    "-map",
    "0:a?",
    "-c",
    "copy",
    ...faststartMp4WithProgress(output),
  ];
}

/** Which low-priority wrappers exist on this machine. */
export interface LowPriorityTools {
  readonly nice: boolean;
  readonly ionice: boolean;
}

/**
 * Prefixes a command with `nice -n 19` and `ionice -c3` (idle I/O class) when available, so
 * an encode only gets CPU and disk time nothing else wants. Both exec the next program, so
 * the spawned pid is ffmpeg's own and signals reach it directly.
 */
export function lowPriorityCommand(
  command: string,
  args: readonly string[],
  tools: LowPriorityTools,
): { command: string; args: string[] } {
  const argv = [
    ...(tools.nice ? ["nice", "-n", "19"] : []),
    ...(tools.ionice ? ["ionice", "-c3"] : []),
    command,
    ...args,
  ];
  return { command: argv[0] ?? command, args: argv.slice(1) };
}
