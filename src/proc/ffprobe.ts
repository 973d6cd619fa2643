import { probeArgs } from "./ffmpeg_args.ts";
import { runCommand } from "./spawn.ts";

/** What ffprobe tells about a media file. */
export interface MediaInfo {
  readonly duration: number;
  readonly streams: readonly {
    codec_type: string;
    codec_name: string;
    width?: number;
    height?: number;
  }[];
}

/** Probes a file; `undefined` when ffprobe cannot read it as media (corrupt, empty, missing). */
export async function probeMedia(path: string): Promise<MediaInfo | undefined> {
  const result = await runCommand("ffprobe", probeArgs(path));
  if (result.code !== 0) return undefined;
  try {
    const parsed = JSON.parse(result.stdout) as {
      format?: { duration?: string };
      streams?: MediaInfo["streams"];
    };
    const duration = Number(parsed.format?.duration);
    const streams = parsed.streams ?? [];
    if (!Number.isFinite(duration) || streams.length === 0) return undefined;
    return { duration, streams };
  } catch {
    return undefined;
  }
}
