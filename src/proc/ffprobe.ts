import { probeArgs } from "./ffmpeg_args.ts";
import { runCommand } from "./spawn.ts";

/** One stream as ffprobe's JSON lists it (the fields we ask for). */
export interface ProbedStream {
  codec_type: string;
  codec_name: string;
  width?: number;
  height?: number;
}

/** What ffprobe tells about a media file. */
export interface MediaInfo {
  readonly duration: number;
  readonly streams: readonly ProbedStream[];
}

/** Probes a file; `undefined` when ffprobe cannot read it as media (corrupt, empty, missing). */
export async function probeMedia(path: string): Promise<MediaInfo | undefined> {
  const info = await probe(path);
  return info && Number.isFinite(info.duration) && info.streams.length > 0 ? info : undefined;
}

/**
 * Whether ffprobe finds audio/video streams, even when it cannot tell a duration: an MPEG-TS
 * capture whose timestamps jump back (a source restart) has streams but no usable timeline.
 */
export async function hasMediaStreams(path: string): Promise<boolean> {
  return ((await probe(path))?.streams.length ?? 0) > 0;
}

async function probe(path: string): Promise<MediaInfo | undefined> {
  const result = await runCommand("ffprobe", probeArgs(path));
  if (result.code !== 0) return undefined;
  try {
    const parsed = JSON.parse(result.stdout) as {
      format?: { duration?: string };
      streams?: MediaInfo["streams"];
    };
    return { duration: Number(parsed.format?.duration), streams: parsed.streams ?? [] };
  } catch {
    return undefined;
  }
}
