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
export function concatRemuxArgs(listFile: string, output: string, format: FinalFormat): string[] {
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
    ...(format === "mp4" ? ["-movflags", "+faststart"] : []),
    "-f",
    format,
    "-y",
    output,
  ];
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
