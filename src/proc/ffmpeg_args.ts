/**
 * Pure builders for ffmpeg command lines: finalize's one pass (parts fed on stdin), the encoder's
 * and tscompress's encodes, and their low-priority wrappers.
 */

/** Container of a finalized recording. */
export type FinalFormat = "mp4" | "mpegts";

/** What a part really is, told by its bytes (streamlink writes fMP4 into any file name). */
export type PartContainer = "mpegts" | "mp4";

/**
 * Jumps between timestamps larger than this are closed up by ffmpeg when it reads MPEG-TS
 * (its discontinuity repair), so an ad on its own clock, an encoder restart or a filtered ad
 * leave no jump or frozen picture; shorter gaps are frames really missing and stay.
 */
export const DTS_JUMP_THRESHOLD_SECONDS = 5;

/**
 * One pass from the captured parts, fed on stdin, to a finished file: byte-joined MPEG-TS (its
 * demuxer plus ffmpeg's discontinuity repair make one monotonic timeline within and across
 * parts) or a re-timed fragmented MP4 stream. Streams are copied, never re-encoded; HEVC is
 * tagged `hvc1` so Apple players open it; MP4 output gets its index up front. A `metadataFile`
 * (ffmetadata: title/game chapters) is read as a second input in the same pass.
 */
export function pipeRemuxArgs(
  input: PartContainer,
  output: string,
  format: FinalFormat,
  options: {
    reserveMoovBytes?: number;
    hevc?: boolean;
    metadataFile?: string;
    /**
     * The input is our own rewrap of fMP4 (runs joined as MPEG-TS): nothing in it is corrupt,
     * but each run restarts the continuity counters, which `+discardcorrupt` would take as
     * damage to the run's last frame and drop it.
     */
    rewrapped?: boolean;
  } = {},
): string[] {
  const metadata = options.metadataFile
    ? {
      input: ["-f", "ffmetadata", "-i", options.metadataFile],
      map: ["-map_metadata", "1", "-map_chapters", "1"],
    }
    : { input: [], map: [] };
  return [
    "-hide_banner",
    "-nostdin",
    "-loglevel",
    "verbose",
    "-nostats",
    "-dts_delta_threshold",
    String(DTS_JUMP_THRESHOLD_SECONDS),
    "-fflags",
    options.rewrapped ? "+genpts" : "+genpts+discardcorrupt",
    "-f",
    input,
    "-i",
    "pipe:0",
    ...metadata.input,
    "-map",
    "0:v?",
    "-map",
    "0:a?",
    ...metadata.map,
    "-c",
    "copy",
    ...(options.hevc && format === "mp4" ? ["-tag:v", "hvc1"] : []),
    ...(format === "mp4" ? moovPlacement(options.reserveMoovBytes) : []),
    "-f",
    format,
    "-y",
    output,
  ];
}

/**
 * The live remux (`record/live_remux.ts`): the same pass as {@link pipeRemuxArgs} from MPEG-TS on
 * stdin, written as fragmented MP4 (a fragment at each keyframe, the index up front and empty),
 * so the file plays and seeks while it grows and stays readable up to its last whole fragment
 * when anything is killed. No moov to place at the end: closing it costs nothing. A `roomFile`
 * (ffmetadata) pads the index with room for the chapters written at the end (`live_header.ts`).
 */
export function liveFmp4Args(
  output: string,
  options: { hevc?: boolean; roomFile?: string } = {},
): string[] {
  const args = pipeRemuxArgs("mpegts", output, "mp4", {
    ...(options.hevc ? { hevc: true } : {}),
    ...(options.roomFile ? { metadataFile: options.roomFile } : {}),
  });
  const at = args.indexOf("-movflags");
  // ADTS headers must be converted explicitly (the muxer only does it by itself when it writes
  // the index at the end), and the index waits for the first fragment (`delay_moov`): written
  // before the first audio packet, it would lack the AAC configuration the conversion yields,
  // and players and the MPEG-TS rewrap of the live file (`finalize.ts`) could not read the audio.
  args.splice(
    at,
    2,
    "-bsf:a",
    "aac_adtstoasc",
    "-movflags",
    "+frag_keyframe+empty_moov+delay_moov+default_base_moof",
  );
  // It lives as long as the broadcast, one per recording: a 2 s probe (a keyframe with its
  // parameter sets and the audio configuration; Twitch's segments start with both) where the
  // default 5 s / 5 MB held ~10 MB more of a 1080p stream for the whole recording.
  args.splice(args.indexOf("-f"), 0, ...LIVE_PROBE);
  return args;
}

/** How much of the stream the live ffmpeg reads before it writes (bytes, microseconds). */
const LIVE_PROBE = ["-probesize", "2000000", "-analyzeduration", "2000000"];

/**
 * Rewraps a fragmented MP4 stream (stdin) as MPEG-TS (stdout), streams copied: a codec
 * configuration change mid-recording (a new init segment) then travels in-band, which the MP4
 * demuxer cannot do. H.264 and HEVC only. Each run of fragments is rewrapped on its own, already
 * re-timed to follow the one before (`fmp4_timeline.ts`): its decode times are kept as they are
 * (`-copyts`, and `-ignore_editlist` since each init's edit list would shift its run by another
 * amount), or ffmpeg starts every run at zero and the joined stream jumps back at each run,
 * left to the discontinuity repair.
 */
export function fmp4ToMpegtsArgs(): string[] {
  return [
    ...["-hide_banner", "-nostdin", "-loglevel", "error", "-copyts", "-ignore_editlist", "1"],
    ...["-f", "mp4", "-i", "pipe:0"],
    ...["-map", "0:v?", "-map", "0:a?", "-c", "copy", "-f", "mpegts", "pipe:1"],
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
 * Room to reserve for the moov of `samples` video and audio samples: 18 index bytes a sample
 * (measured: 30 fps + 44.1 kHz AAC needs about 13), plus 256 KiB. Too small is caught by the
 * muxer and verification, and the file is then written with `+faststart` instead.
 */
export function moovReserveForSamples(samples: number): number {
  return Math.ceil(samples * 18) + 256 * 1024;
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
 * The encode: scale down to `height` (never up: a smaller source keeps its own, even height)
 * keeping the aspect ratio with an even width (`-2`, which 4:2:0 codecs require), optional
 * fps, first video stream only (an audio-only recording still encodes), CRF quality, limited
 * threads, AAC audio, MP4 with `+faststart`, and `-progress pipe:1` so the caller can read how
 * far it got. A `.ts` input whose timestamps jump (finalize's byte-for-byte fallback) has the
 * jumps closed like finalize. x265 ignores `-threads`, so its own thread pool is capped through
 * `-x265-params pools=N`; `hvc1` tagging
 * lets Apple players open HEVC in MP4.
 */
export function encodeArgs(spec: EncodeArgsSpec): string[] {
  const filters = [`scale=-2:'min(${spec.height},trunc(ih/2)*2)'`];
  if (spec.fps !== "auto") filters.push(`fps=${spec.fps}`);
  const isX265 = spec.videoCodec === "libx265";
  const x265Params = ["log-level=error", ...(spec.threads > 0 ? [`pools=${spec.threads}`] : [])];
  return [
    "-hide_banner",
    "-nostdin",
    "-loglevel",
    spec.loglevel,
    "-y",
    "-dts_delta_threshold",
    String(DTS_JUMP_THRESHOLD_SECONDS),
    "-i",
    spec.input,
    "-map",
    "0:v:0?",
    "-map",
    "0:a?",
    // Title/game chapters of the recording (src/chat/session_chapters.ts) stay in the encode.
    "-map_chapters",
    "0",
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
    "-dts_delta_threshold",
    String(DTS_JUMP_THRESHOLD_SECONDS),
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

/** ffmpeg as is, for callers that give no `lowPriority`. */
export const NORMAL_PRIORITY: LowPriorityTools = { nice: false, ionice: false };

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
