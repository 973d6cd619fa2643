/**
 * Which bytes of the parts the file written while recording already holds, so they can be freed
 * (`[record] live_remux`, `live_remux.ts`): the disk a recording needs once, not twice.
 *
 * Why this shape: ffmpeg writes a fragment of the live file at each video keyframe, so a
 * fragment boundary of the live file is a keyframe of the fed stream. The index below counts the
 * video frames (one PES each) fed to ffmpeg and notes where each keyframe starts in its part;
 * a keyframe whose count of earlier frames equals the video samples of the live file's complete
 * fragments up to a boundary is exactly where that boundary lies. Everything fed before it is
 * then in the live file (read back after an fsync), and a crash at any moment after loses
 * nothing of it: readers take the live file up to that boundary and the parts from that keyframe
 * on (`finalize.ts`). A frame ffmpeg drops as corrupt is told on its stderr with its decode time
 * (`Packet corrupt (stream = 0, dts = ...), dropping it`): the keyframes fed after it count one
 * frame less. A drop that cannot be placed, or counts that disagree, free nothing more: the
 * check never takes a guess for a match.
 *
 * What stays on disk of each part: its head (the repeat a reconnected streamlink wrote and the
 * first frames finalize's join plan reads) and its last `keepSeconds` of frames, the tail a
 * reconnected streamlink may repeat (`part_overlap.ts` compares the new part's head with it).
 */
import { TS_PACKET_SIZE } from "./ts_packets.ts";
import { concatBytes } from "../util/read_at.ts";
import { ptsDelta, TS_CLOCK } from "./ts_timestamps.ts";
import type { Fmp4Layout } from "./fmp4_fragments.ts";
import type { FragmentSource } from "./live_fmp4.ts";
import type { LiveCheckpoint } from "../state/session_manifest.ts";

/** What a part keeps at its head past the repeat it starts with: the join plan's first frames. */
export const HEAD_KEEP_BYTES = 256 * 1024;

/** Frames per second assumed at most (a shorter PTS step is jitter, not a frame). */
const MAX_FPS = 240;

/** A keyframe of the fed stream. */
interface Keyframe {
  readonly part: string;
  /** Where its first TS packet starts in the part. */
  readonly offset: number;
  /** Video frames fed before it, all parts together, less those ffmpeg dropped. */
  count: number;
  /** Its decode time (90 kHz). */
  readonly dts: number;
  /** Video frames fed before it in its own part. */
  readonly frame: number;
}

/** What is known of one fed part. */
interface FedPart {
  /** Its first fed byte (after the repeat it starts with). */
  readonly start: number;
  frames: number;
}

/** The freeable prefix of each part and the checkpoint that makes it safe to free. */
export interface FreePlan {
  readonly checkpoint: LiveCheckpoint;
  /** Per part: free `[from, to)` (the caller aligns and remembers what is freed already). */
  readonly ranges: readonly { part: string; from: number; to: number }[];
}

/** The video frames and keyframes of the stream fed to the live ffmpeg; see the module doc. */
export class FedVideoIndex {
  readonly #keepSeconds: number;
  #hevc = false;
  #count = 0;
  /** Frames fed before the first keyframe: ffmpeg's stream copy drops them. */
  #lead: number | undefined;
  #keyframes: Keyframe[] = [];
  readonly #parts = new Map<string, FedPart>();
  #part: string | undefined;
  #pending: Uint8Array = new Uint8Array(0);
  #pendingAt = 0;
  #lastPts: number | undefined;
  #step = Infinity;
  /** ffmpeg's input stream index of the video, from its stderr. */
  #videoStream: number | undefined;
  /** Decode times of video frames ffmpeg dropped, not yet placed among the keyframes. */
  #drops: number[] = [];
  /** Set when a drop could not be placed: nothing more is freed. */
  #lost = false;

  constructor(keepSeconds: number) {
    this.#keepSeconds = keepSeconds;
  }

  /** A line of the live ffmpeg's stderr: which input stream is video, which frames it dropped. */
  ffmpegSaid(line: string): void {
    const video = line.match(/Stream #0:(\d+)[^:]*: Video:/);
    if (video && this.#videoStream === undefined) this.#videoStream = Number(video[1]);
    const drop = line.match(/Packet corrupt \(stream = (\d+), dts = (-?\d+)\)/);
    if (!drop) return;
    // Before the video stream is known, any stream's drop may be a frame's: not placeable.
    if (this.#videoStream === undefined) this.#lost = true;
    else if (Number(drop[1]) === this.#videoStream) this.#drops.push(Number(drop[2]));
  }

  /**
   * The feed goes on at a checkpoint's keyframe into a live file that holds `videoSamples`
   * frames already (an adopted session's, `live_remux.ts`): counting starts there.
   */
  resumeAt(videoSamples: number): void {
    this.#count = videoSamples;
    this.#lead = 0;
  }

  /** The codec, once probed: which NAL unit types start a keyframe. */
  set hevc(value: boolean) {
    this.#hevc = value;
  }

  /**
   * `bytes` of `part` from `offset` were given to ffmpeg (in order, parts one after another).
   * Read in place and not kept (the caller reuses the buffer): only a packet cut by the chunk's
   * end is copied, to be completed by the next chunk.
   */
  fed(part: string, offset: number, bytes: Uint8Array): void {
    if (part !== this.#part || offset !== this.#pendingAt + this.#pending.byteLength) {
      this.#part = part;
      this.#pending = new Uint8Array(0);
      this.#pendingAt = offset;
    }
    if (!this.#parts.has(part)) this.#parts.set(part, { start: offset, frames: 0 });
    // Packets lie on the part's own grid (a repeat may end off it); a pending piece starts on it.
    let p = Math.ceil(offset / TS_PACKET_SIZE) * TS_PACKET_SIZE - offset;
    if (this.#pending.byteLength > 0) {
      const need = TS_PACKET_SIZE - this.#pending.byteLength;
      if (bytes.byteLength < need) {
        this.#pending = concatBytes(this.#pending, bytes);
        return;
      }
      const packet = concatBytes(this.#pending, bytes.subarray(0, need));
      this.#packet(part, this.#pendingAt, packet, 0);
      p = need;
    }
    for (; p + TS_PACKET_SIZE <= bytes.byteLength; p += TS_PACKET_SIZE) {
      this.#packet(part, offset + p, bytes, p);
    }
    const kept = Math.min(p, bytes.byteLength);
    this.#pending = bytes.slice(kept);
    this.#pendingAt = offset + kept;
  }

  /**
   * The latest keyframe the live file is known to hold everything before, and what of each
   * part may be freed with it; undefined when none qualifies yet. `layout` must have been read
   * before the live file was fsync'd.
   */
  plan(layout: Fmp4Layout): FreePlan | undefined {
    this.#placeDrops();
    if (this.#lead === undefined || this.#lost) return undefined;
    const boundaries = videoBoundaries(layout);
    const keep = this.#keepFrames();
    const ranges = new Map<string, number>();
    let checkpoint: LiveCheckpoint | undefined;
    let through = -1;
    const eligible = (key: Keyframe) => this.#parts.get(key.part)!.frames - key.frame >= keep;
    for (const [index, key] of this.#keyframes.entries()) {
      const end = boundaries.get(key.count - this.#lead);
      if (end === undefined) continue;
      checkpoint = { part: key.part, offset: key.offset, live_bytes: end };
      through = index;
      if (eligible(key)) ranges.set(key.part, key.offset);
    }
    if (!checkpoint) return undefined;
    // A keyframe before the checkpoint is needed again only while it lies in its part's tail.
    this.#keyframes = this.#keyframes.filter((key, index) => index >= through || !eligible(key));
    return {
      checkpoint,
      ranges: [...ranges].map(([part, to]) => ({
        part,
        from: this.#parts.get(part)!.start + HEAD_KEEP_BYTES,
        to,
      })),
    };
  }

  /**
   * Counts each dropped frame out of the keyframes fed after it: it belongs to the GOP of the
   * latest keyframe at or before its decode time (drops are told within moments of the feed,
   * so that keyframe is among the last few). One that cannot be placed stops the freeing.
   */
  #placeDrops(): void {
    for (const dts of this.#drops) {
      const at = this.#keyframes.findLastIndex((key) => {
        const since = ptsDelta(key.dts, dts);
        return since >= 0 && since < 60 * TS_CLOCK;
      });
      if (at < 0) {
        this.#lost = true;
        continue;
      }
      for (const key of this.#keyframes.slice(at + 1)) key.count--;
      // The dropped keyframe itself starts no fragment.
      if (this.#keyframes[at]!.dts === dts) this.#keyframes.splice(at, 1);
      this.#count--;
    }
    this.#drops = [];
  }

  /** Frames of a part's tail kept for the repeat check: `keepSeconds` at the highest frame rate seen. */
  #keepFrames(): number {
    const fps = Number.isFinite(this.#step) ? Math.min(MAX_FPS, 90_000 / this.#step) : MAX_FPS;
    return Math.ceil(this.#keepSeconds * fps);
  }

  /** Notes a video PES starting in the packet at `p` of `data` (at `offset` of `part`). */
  #packet(part: string, offset: number, data: Uint8Array, p: number): void {
    if (data[p] !== 0x47 || (data[p + 1]! & 0x40) === 0) return;
    const control = (data[p + 3]! >> 4) & 3;
    if ((control & 1) === 0) return;
    const adaptation = (control & 2) ? 1 + data[p + 4]! : 0;
    const payload = p + 4 + adaptation;
    const end = p + TS_PACKET_SIZE;
    if (payload + 14 > end || data[payload] !== 0 || data[payload + 1] !== 0) return;
    const streamId = data[payload + 3]!;
    if (data[payload + 2] !== 1 || streamId < 0xe0 || streamId > 0xef) return;
    const dts = this.#times(data, payload);
    const random = adaptation > 1 && (data[p + 5]! & 0x40) !== 0;
    const fed = this.#parts.get(part)!;
    const keyframe = random || this.#startsKeyframe(data, payload + 9 + data[payload + 8]!, end);
    if (keyframe && dts !== undefined) {
      this.#lead ??= this.#count;
      this.#keyframes.push({ part, offset, count: this.#count, dts, frame: fed.frames });
    }
    this.#count++;
    fed.frames++;
  }

  /**
   * The frame's decode time (its DTS, else its PTS); tracks the shortest step between
   * presentation times (B-frames make it one frame or less).
   */
  #times(data: Uint8Array, payload: number): number | undefined {
    const flags = data[payload + 7]! >> 6;
    if ((flags & 2) === 0) return undefined;
    const pts = timestamp(data, payload + 9);
    const last = this.#lastPts;
    this.#lastPts = pts;
    const step = last === undefined ? 0 : pts - last;
    if (step >= 90_000 / MAX_FPS && step < this.#step) this.#step = step;
    return flags === 3 ? timestamp(data, payload + 14) : pts;
  }

  /** Whether the NAL units starting in `[from, end)` include an IDR slice or a parameter set. */
  #startsKeyframe(data: Uint8Array, from: number, end: number): boolean {
    for (let i = from; i + 3 < end; i++) {
      if (data[i] !== 0 || data[i + 1] !== 0 || data[i + 2] !== 1) continue;
      const header = data[i + 3]!;
      if (this.#hevc) {
        const type = (header >> 1) & 0x3f;
        if ((type >= 16 && type <= 21) || (type >= 32 && type <= 34)) return true;
      } else {
        const type = header & 0x1f;
        if (type === 5 || type === 7) return true;
      }
    }
    return false;
  }
}

/** What is known of one fMP4 part's fragments in the live file. */
interface AppendedPart {
  /** Where its first appended fragment starts (after the init and any repeated head). */
  readonly first: number;
  /** The first fragment start at least {@link HEAD_KEEP_BYTES} after `first`: freeing starts there. */
  from?: number;
  /** Its appended fragments of the last `keepSeconds`, oldest first. */
  readonly tail: { start: number; seconds: number }[];
}

/**
 * The fragments of fMP4 parts appended to the live file (`live_fmp4.ts`), for freeing: the
 * appender knows exactly which part bytes each fragment came from, so the checkpoint is simply
 * the end of the last fragment written, and a part may be freed from its head's end to the start
 * of its last `keepSeconds` of fragments (the tail a reconnected streamlink may repeat, which the
 * appender and finalize compare new parts with). Ranges start and end on fragment starts: freed
 * with `freeRange` (`proc/punch_hole.ts`), a part then reads as its fragments with zeros between
 * (`fmp4_fragments.ts` skips them).
 */
export class Fmp4FreeIndex {
  readonly #keepSeconds: number;
  readonly #parts = new Map<string, AppendedPart>();
  #last: { part: string; offset: number; liveBytes: number } | undefined;

  constructor(keepSeconds: number) {
    this.#keepSeconds = keepSeconds;
  }

  /**
   * The fragment from `source`, decoded from `seconds` on (its source clock), now ends the live
   * file at `liveBytes` (an `OnFragmentWritten` of `Fmp4LiveFile`).
   */
  written(source: FragmentSource, seconds: number, liveBytes: number): void {
    const { path: part, start, end } = source;
    let known = this.#parts.get(part);
    if (!known) this.#parts.set(part, known = { first: start, tail: [] });
    if (known.from === undefined && start >= known.first + HEAD_KEEP_BYTES) known.from = start;
    known.tail.push({ start, seconds });
    while (known.tail.length > 1 && known.tail[0]!.seconds < seconds - this.#keepSeconds) {
      known.tail.shift();
    }
    this.#last = { part, offset: end, liveBytes };
  }

  /**
   * The checkpoint after the last fragment written and what each part may be freed of; read it
   * before the live file's fsync, which then makes everything it names durable.
   */
  plan(shiftSeconds: number): FreePlan | undefined {
    const last = this.#last;
    if (!last) return undefined;
    const ranges = [...this.#parts].flatMap(([part, known]) => {
      const to = known.tail[0]!.start;
      return known.from !== undefined && to > known.from ? [{ part, from: known.from, to }] : [];
    });
    return {
      checkpoint: {
        part: last.part,
        offset: last.offset,
        live_bytes: last.liveBytes,
        shift_seconds: shiftSeconds,
      },
      ranges,
    };
  }
}

/** A 33-bit PES timestamp at `t`. */
function timestamp(data: Uint8Array, t: number): number {
  return (data[t]! >> 1 & 0x07) * 2 ** 30 + (data[t + 1]! << 22 | data[t + 2]! >> 1 << 15) +
    (data[t + 3]! << 7 | data[t + 4]! >> 1);
}

/**
 * Video samples of the first video track counted through each complete fragment, mapped to the
 * byte offset where that fragment ends.
 */
export function videoBoundaries(layout: Fmp4Layout): Map<number, number> {
  const boundaries = new Map<number, number>();
  let samples = 0;
  let video: number | undefined;
  for (const fragment of layout.fragments) {
    for (const track of fragment.tracks) {
      const info = fragment.init.tracks.get(track.trackId);
      if (info?.kind !== "video") continue;
      video ??= track.trackId;
      if (track.trackId === video) samples += track.samples;
    }
    // The first fragment end with that count: a following fragment without video adds audio
    // that comes after the keyframe.
    if (!boundaries.has(samples)) boundaries.set(samples, fragment.end);
  }
  return boundaries;
}
