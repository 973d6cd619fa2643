/**
 * One continuous timeline for fragmented-MP4 parts. FFmpeg repairs timestamp jumps only for
 * MPEG-TS input; its MP4 demuxer passes a fragment whose decode time (`tfdt`) jumps back (an ad
 * on its own clock, an encoder restart) or far forward (a filtered ad, an outage) straight to
 * the muxer, which squashes frames. So the fragments are re-timed here, before ffmpeg reads
 * them: every run of continuous fragments is shifted to start where the previous run ended,
 * all tracks by the same amount (audio stays in sync). Only `tfdt` fields change; media bytes
 * are streamed as they are.
 */
import { type Fmp4Fragment, type Fmp4Init, type Fmp4Layout, sameInit } from "./fmp4_fragments.ts";

/** How far a track's next fragment may start from where its last one ended and still continue. */
const SEAMLESS_SECONDS = 0.1;

/** A fragment and the decode times it gets, per track id. */
interface PlannedFragment {
  readonly path: string;
  readonly fragment: Fmp4Fragment;
  readonly times: ReadonlyMap<number, number>;
}

/** How the parts' fragments line up on the output timeline. */
export interface Fmp4Plan {
  readonly fragments: readonly PlannedFragment[];
  /** Init segments that differ from the first one (a codec or picture-size change). */
  readonly changedInits: number;
  /** Where the timeline was joined (jumps back, long jumps forward, new parts). */
  readonly joins: number;
  /** Samples per track kind, counted from the fragments. */
  readonly samples: { readonly video: number; readonly audio: number };
  /** Seconds of video (or audio when there is no video) the fragments hold. */
  readonly contentSeconds: number;
}

/**
 * Plans the output timeline of `parts` (in capture order). A jump forward of up to
 * `maxGapSeconds` is kept (frames really missing); longer ones and every jump back are closed.
 */
export function planFmp4Timeline(
  parts: readonly { path: string; layout: Fmp4Layout }[],
  maxGapSeconds: number,
): Fmp4Plan {
  const fragments: PlannedFragment[] = [];
  const first = parts[0]?.layout.inits[0];
  let changedInits = 0;
  let joins = 0;
  const samples = { video: 0, audio: 0 };
  const content = { video: 0, audio: 0 };
  /** Next expected input decode time per track (seconds); unset at the start of a run. */
  let expected = new Map<number, number>();
  /** End of the output so far per track (seconds). */
  const outEnd = new Map<number, number>();
  let shift = 0;
  let runStart = 0;
  let lastInit: Fmp4Init | undefined;
  for (const { path, layout } of parts) {
    let newPart = true;
    for (const fragment of layout.fragments) {
      if (fragment.init !== lastInit) {
        if (lastInit && first && !sameInit(fragment.init, first)) changedInits++;
        lastInit = fragment.init;
      }
      const start = (id: number, base: number) =>
        base / (fragment.init.tracks.get(id)?.timescale ?? 1);
      // A new part continues the run only where it follows on seamlessly (what it repeated of
      // the part before dropped); any hole between parts is closed. Judged per track: with one
      // `moof` per track, a part cut between them resumes with the other track's fragment.
      const reach = newPart ? SEAMLESS_SECONDS : maxGapSeconds;
      const continuous = fragment.tracks.every((track) => {
        const at = start(track.trackId, track.baseTime);
        const want = expected.get(track.trackId) ?? runStart;
        return at - want > -SEAMLESS_SECONDS && at - want <= reach;
      });
      if (!continuous) {
        if (fragments.length > 0) joins++;
        runStart = Math.min(...fragment.tracks.map((t) => start(t.trackId, t.baseTime)));
        const end = outEnd.size ? Math.max(...outEnd.values()) : 0;
        shift = end - runStart;
        expected = new Map();
      }
      newPart = false;
      const times = new Map<number, number>();
      for (const track of fragment.tracks) {
        const info = fragment.init.tracks.get(track.trackId);
        const timescale = info?.timescale ?? 1;
        const time = Math.max(0, Math.round(track.baseTime + shift * timescale));
        times.set(track.trackId, time);
        expected.set(track.trackId, (track.baseTime + track.duration) / timescale);
        outEnd.set(track.trackId, (time + track.duration) / timescale);
        if (info?.kind === "video" || info?.kind === "audio") {
          samples[info.kind] += track.samples;
          content[info.kind] += track.duration / timescale;
        }
      }
      fragments.push({ path, fragment, times });
    }
  }
  return {
    fragments,
    changedInits,
    joins,
    samples,
    contentSeconds: samples.video > 0 ? content.video : content.audio,
  };
}

/**
 * Writes the planned stream: the first init segment once, then every fragment with its new
 * decode times. Throws when a new time does not fit a 32-bit `tfdt` (left as is rather than
 * growing the box).
 */
export async function writeFmp4Plan(
  plan: Fmp4Plan,
  sink: WritableStreamDefaultWriter<Uint8Array>,
): Promise<void> {
  const first = plan.fragments[0];
  if (!first) return;
  await sink.write(first.fragment.init.bytes);
  let file: Deno.FsFile | undefined;
  let openPath = "";
  // The sink is done with a chunk once its write resolves: one buffer serves every read.
  const buffer = new Uint8Array(1 << 20);
  try {
    for (const { path, fragment, times } of plan.fragments) {
      const moof = fragment.moof.slice();
      const view = new DataView(moof.buffer);
      for (const track of fragment.tracks) {
        const time = times.get(track.trackId) ?? track.baseTime;
        const at = track.tfdtOffset + 12;
        if (track.tfdtVersion === 1) view.setBigUint64(at, BigInt(time));
        else if (time <= 0xffffffff) view.setUint32(at, time);
        else throw new Error(`a decode time outgrows its 32-bit field in "${path}"`);
      }
      await sink.write(moof);
      if (openPath !== path) {
        file?.close();
        file = await Deno.open(path, { read: true });
        openPath = path;
      }
      await copyRange(file!, fragment.dataStart, fragment.end, sink, buffer);
    }
  } finally {
    file?.close();
  }
}

async function copyRange(
  file: Deno.FsFile,
  start: number,
  end: number,
  sink: WritableStreamDefaultWriter<Uint8Array>,
  buffer: Uint8Array,
): Promise<void> {
  await file.seek(start, Deno.SeekMode.Start);
  let left = end - start;
  while (left > 0) {
    const n = await file.read(buffer.subarray(0, Math.min(left, buffer.byteLength)));
    if (n === null) throw new Error("a part ended before its last fragment");
    await sink.write(buffer.subarray(0, n));
    left -= n;
  }
}
