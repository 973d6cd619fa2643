/**
 * Short HLS clips shaped like real Twitch broadcasts (timestamp offsets, picture sizes, HEVC,
 * fragmented MP4), encoded once by ffmpeg and cached under `tests/.cache/clips`, for scripted
 * channels of the test HLS server (see `hls_server.ts` `playScript`).
 */
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import type { Script, ScriptedSegment } from "./hls_server.ts";

/** What to encode. */
export interface ClipSpec {
  /** First timestamp, seconds (the broadcaster's clock). */
  readonly offset: number;
  readonly seconds: number;
  readonly size?: string;
  readonly codec?: "h264" | "hevc" | "av1";
  readonly fmp4?: boolean;
  /** Length of each segment (default 1 s; Twitch's are about 2 s). */
  readonly segmentSeconds?: number;
}

/** Segments of a clip segments of a clip, and its init segment when fMP4. */
export interface Clip {
  readonly segments: Uint8Array<ArrayBuffer>[];
  readonly init?: Uint8Array<ArrayBuffer>;
}

const CACHE = fileURLToPath(new URL("../tests/.cache/clips", import.meta.url));
const VERSION = 1;

/** The clip for `spec`, generated on first use. */
export async function ensureClip(spec: ClipSpec): Promise<Clip> {
  const size = spec.size ?? "320x180";
  const codec = spec.codec ?? "h264";
  const segmentSeconds = spec.segmentSeconds ?? 1;
  const name = `v${VERSION}-${spec.offset}-${spec.seconds}-${size}-${codec}-${
    spec.fmp4 ? "fmp4" : "ts"
  }${segmentSeconds === 1 ? "" : `-${segmentSeconds}s`}`;
  const dir = join(CACHE, name);
  const cached = await readClip(dir, spec);
  if (cached) return cached;
  await Deno.mkdir(CACHE, { recursive: true });
  const tmp = await Deno.makeTempDir({ dir: CACHE, prefix: ".tmp-" });
  const extension = spec.fmp4 ? "m4s" : "ts";
  const args = [
    ...["-hide_banner", "-loglevel", "error", "-nostdin", "-y"],
    ...["-f", "lavfi", "-i", `testsrc2=size=${size}:rate=30`],
    ...["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", String(spec.seconds)],
    ...(codec === "hevc"
      ? ["-c:v", "libx265", "-x265-params", "log-level=error:keyint=30:min-keyint=30:scenecut=0"]
      : codec === "av1"
      ? ["-c:v", "libsvtav1", "-preset", "12", "-g", "30"]
      : ["-c:v", "libx264", "-g", "30"]),
    ...(codec === "av1" ? [] : ["-preset", "veryfast"]),
    ...["-pix_fmt", "yuv420p", "-force_key_frames", "expr:gte(t,n_forced)"],
    ...["-c:a", "aac", "-ar", "44100", "-ac", "2", "-output_ts_offset", String(spec.offset)],
    ...["-f", "hls", "-hls_time", String(segmentSeconds), "-hls_list_size", "0"],
    ...(spec.fmp4 ? ["-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", "init.mp4"] : []),
    ...["-hls_segment_filename", join(tmp, `s%03d.${extension}`), join(tmp, "index.m3u8")],
  ];
  const out = await new Deno.Command("ffmpeg", { args, stdout: "null", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`ffmpeg cannot make clip ${name}: ${new TextDecoder().decode(out.stderr)}`);
  }
  await Deno.rename(tmp, dir).catch(() => Deno.remove(tmp, { recursive: true }));
  const clip = await readClip(dir, spec);
  if (!clip) throw new Error(`clip ${name} is incomplete`);
  return clip;
}

async function readClip(dir: string, spec: ClipSpec): Promise<Clip | undefined> {
  try {
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => /^s\d+\./.test(n))
      .sort();
    if (names.length < Math.ceil(spec.seconds / (spec.segmentSeconds ?? 1))) return undefined;
    const segments = await Promise.all(names.map((n) => Deno.readFile(join(dir, n))));
    const init = spec.fmp4 ? await Deno.readFile(join(dir, "init.mp4")) : undefined;
    return { segments, ...(init ? { init } : {}) };
  } catch {
    return undefined;
  }
}

/**
 * A scripted TS broadcast of `seconds` one-second segments on the broadcaster's clock, with
 * the segments themselves for frame-by-frame comparison of what a recording delivered.
 */
export async function clipBroadcast(
  seconds: number,
): Promise<{ script: Script; segments: Uint8Array[] }> {
  const clip = await ensureClip({ offset: 1000, seconds });
  return {
    script: { segments: clip.segments.map((bytes) => ({ bytes, seconds: 1 })) },
    segments: clip.segments,
  };
}

/** A piece of a scripted broadcast: a clip, played as an ad or with some segments missing. */
export interface BroadcastPiece extends ClipSpec {
  readonly ad?: boolean;
  /** Segment indexes (in this piece) the playlist lists but the server never serves. */
  readonly missing?: readonly number[];
}

/**
 * The script of a broadcast made of `pieces` one after another, the way Twitch splices them:
 * a discontinuity where each later piece starts, ad segments marked, and an fMP4 piece's init
 * segment as its map.
 */
export async function piecesScript(pieces: readonly BroadcastPiece[]): Promise<Script> {
  const segments: ScriptedSegment[] = [];
  const maps: Uint8Array<ArrayBuffer>[] = [];
  for (const [p, piece] of pieces.entries()) {
    const clip = await ensureClip(piece);
    if (clip.init) maps.push(clip.init);
    clip.segments.forEach((bytes, i) =>
      segments.push({
        bytes,
        seconds: piece.segmentSeconds ?? 1,
        ...(p > 0 && i === 0 ? { discontinuity: true } : {}),
        ...(piece.ad ? { ad: true } : {}),
        ...(clip.init ? { map: maps.length - 1 } : {}),
        ...(piece.missing?.includes(i) ? { missing: true } : {}),
      })
    );
  }
  return { segments, maps };
}
