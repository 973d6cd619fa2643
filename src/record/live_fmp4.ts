/**
 * The live file of a broadcast streamlink writes as fragmented MP4 (HEVC, AV1 and more and more
 * H.264 renditions): its fragments are already what the deliverable is made of, so they are
 * appended as they arrive, without an ffmpeg, the decode times moved to start at zero (one shift
 * for all tracks, so audio keeps its place against the video). The init segment is written once,
 * with room for the chapters (`live_header.ts`) and without the source's edit lists (finalize
 * reads fMP4 by its decode times too, `-ignore_editlist`).
 *
 * Only the shape this can carry without re-timing is taken: one init segment for the whole
 * recording, and decode times that never go back except for the fragments a reconnected
 * streamlink repeats (the same `moof` and the same media bytes as one already appended, dropped).
 * Anything else (a new init: an encoder restart or a new picture size; times going back; an
 * absolute data offset) throws, and the session is finalized from its parts: from the live file
 * up to its checkpoint and the parts after it when they were freed (`live_checkpoint.ts`).
 */
import type { LiveCheckpoint } from "../state/session_manifest.ts";
import {
  children,
  type Fmp4Fragment,
  type Fmp4Init,
  type Fmp4Layout,
  type Fmp4Track,
  type Fmp4TrackFragment,
  parseMoof,
  parseMoov,
  readFmp4Layout,
  sameBytes,
} from "./fmp4_fragments.ts";
import { LIVE_HEADER_ROOM_BYTES } from "./live_header.ts";
import { mp4Box } from "../util/mp4_box.ts";
import { concatBytes, readAt } from "../util/read_at.ts";

/** How many appended fragments are remembered to recognize a reconnect's repeat (~4 min). */
const REMEMBERED_FRAGMENTS = 120;

/** Fragments held back at most while waiting for every track's first one. */
const HELD_FRAGMENTS = 8;

/** Where a fragment's bytes (`moof` first) lie in a part. */
export interface FragmentSource {
  readonly path: string;
  readonly start: number;
  readonly end: number;
}

/** What was appended: samples per kind of track (the journal's `packets`). */
export interface AppendedSamples {
  video: number;
  audio: number;
}

/**
 * Told of each fragment once it is written to the live file: where it came from, its source decode
 * time (seconds) and the live file's size after it.
 */
export type OnFragmentWritten = (
  source: FragmentSource,
  seconds: number,
  liveBytes: number,
) => void;

/** The live file of an fMP4 broadcast, written by appending its fragments. */
export class Fmp4LiveFile {
  readonly #file: Deno.FsFile;
  readonly #onWritten: OnFragmentWritten | undefined;
  /** Bytes written to the live file so far. */
  #size = 0;
  /** The source's init segment (`ftyp` + `moov`) as first seen: every later one must equal it. */
  #init: Uint8Array | undefined;
  #tracks = new Map<number, Fmp4Track>();
  /** The shift, seconds, taken off every decode time (the first fragment's earliest). */
  #shiftSeconds: number | undefined;
  /** Per track: the source decode time where what was appended ends. */
  readonly #ends = new Map<number, number>();
  /** Recently appended fragments: their decode times → where their bytes are in the parts. */
  readonly #recent = new Map<string, FragmentSource>();
  readonly samples: AppendedSamples = { video: 0, audio: 0 };
  /** Fragments taken but not yet written: the first ones, until every track has shown its start. */
  readonly #held: {
    moof: Uint8Array;
    data: Uint8Array;
    tracks: Fmp4TrackFragment[];
    source: FragmentSource;
  }[] = [];
  /** Fragments dropped as a reconnect's repeat. */
  repeats = 0;
  /** The init of the live file this one continues ({@link Fmp4LiveFile.continue}). */
  #continues: Fmp4Init | undefined;
  /** Where, seconds, the first fragment written goes: 0, or the continued live file's end. */
  #startAt = 0;

  private constructor(file: Deno.FsFile, onWritten: OnFragmentWritten | undefined) {
    this.#file = file;
    this.#onWritten = onWritten;
  }

  /** Creates (or truncates) the live file at `path`. */
  static async create(path: string, onWritten?: OnFragmentWritten): Promise<Fmp4LiveFile> {
    return new Fmp4LiveFile(
      await Deno.open(path, { write: true, create: true, truncate: true }),
      onWritten,
    );
  }

  /** The seconds taken off every decode time; 0 until the first fragments are written. */
  get shiftSeconds(): number {
    return this.#shiftSeconds ?? 0;
  }

  /** Makes everything written so far durable. */
  async sync(): Promise<void> {
    await this.#file.sync();
  }

  /** An init segment (`ftyp` bytes, then the `moov` box) of a part. */
  async init(ftyp: Uint8Array, moov: Uint8Array): Promise<void> {
    const bytes = concatBytes(ftyp, moov);
    if (this.#init) {
      if (!sameBytes(this.#init, bytes)) {
        throw new Error("a new init segment mid-recording (an encoder restart or a new size)");
      }
      return;
    }
    this.#init = bytes;
    this.#tracks = parseMoov(moov);
    if (this.#continues) {
      if (!sameTracks(this.#tracks, this.#continues.tracks)) {
        throw new Error("the remuxed parts do not carry the live file's tracks");
      }
      return;
    }
    await this.#write(ftyp);
    await this.#write(liveMoov(moov));
  }

  /**
   * A complete fragment: its `moof` and the bytes after it up to the next fragment (`mdat`), read
   * from `source`. Appended, or dropped as a repeat (`false`); throws when the recording cannot go
   * on as it is.
   */
  async fragment(moof: Uint8Array, data: Uint8Array, source: FragmentSource): Promise<boolean> {
    if (!this.#init) throw new Error("a fragment before any init segment");
    if (hasAbsoluteDataOffset(moof)) throw new Error("fragments address data by file offset");
    const tracks = parseMoof(moof, this.#tracks);
    const key = fragmentKey(tracks);
    if (tracks.some((t) => t.baseTime < (this.#ends.get(t.trackId) ?? -Infinity))) {
      const earlier = this.#recent.get(key);
      if (earlier && await holds(earlier, moof, data)) {
        this.repeats++;
        return false;
      }
      throw new Error("decode times went back (an encoder restart)");
    }
    for (const track of tracks) {
      this.#ends.set(track.trackId, track.baseTime + track.duration);
      const kind = this.#tracks.get(track.trackId)?.kind;
      if (kind === "video" || kind === "audio") this.samples[kind] += track.samples;
    }
    this.#remember(key, source);
    this.#held.push({ moof, data, tracks, source });
    // The shift waits for every track's first fragment (a packager may put each in its own).
    const waiting = [...this.#tracks.values()].some((t) =>
      t.kind !== "other" && !this.#ends.has(t.id)
    );
    if (this.#shiftSeconds === undefined && waiting && this.#held.length < HELD_FRAGMENTS) {
      return true;
    }
    await this.#flush();
    return true;
  }

  /** Writes the fragments held back, their decode times shifted. */
  async #flush(): Promise<void> {
    this.#shiftSeconds ??= Math.min(
      ...this.#held.flatMap((f) => f.tracks.map((t) => t.baseTime / this.#timescale(t.trackId))),
    ) - this.#startAt;
    for (const { moof, data, tracks, source } of this.#held.splice(0)) {
      const shifted = moof.slice();
      const view = new DataView(shifted.buffer);
      for (const track of tracks) {
        const time = track.baseTime -
          Math.round(this.#shiftSeconds * this.#timescale(track.trackId));
        if (time < 0) throw new Error("a track starts before the recording's first fragment");
        const at = track.tfdtOffset + 12;
        if (track.tfdtVersion === 1) view.setBigUint64(at, BigInt(time));
        else view.setUint32(at, time);
      }
      await this.#write(shifted);
      await this.#write(data);
      this.#onWritten?.(source, this.#seconds(tracks), this.#size);
    }
  }

  /** Writes what is held back, makes the file durable and closes it. */
  async close(): Promise<void> {
    try {
      if (this.#held.length > 0) await this.#flush();
      await this.#file.sync();
    } finally {
      this.#file.close();
    }
  }

  /** Closes without waiting for the disk (the file is given up). */
  abandon(): void {
    try {
      this.#file.close();
    } catch {
      // Already closed.
    }
  }

  /**
   * Reopens the live file a previous host wrote from fMP4 parts, to go on appending after `at`:
   * the file is cut back to the checkpoint's `live_bytes` (what came after it is appended again
   * from the parts), and what the appender knew is read back: the part's init segment, each
   * track's end (from the live file, moved back by the journaled shift) and the fragments before
   * the checkpoint a reconnect may repeat (from the part's kept tail). Those fragments are also
   * told to `onWritten`, so the freeing index knows the part's head and tail. Throws when the
   * live file does not continue the part as the checkpoint says.
   */
  static async resume(
    path: string,
    at: LiveCheckpoint,
    onWritten?: OnFragmentWritten,
  ): Promise<Fmp4LiveFile> {
    const part = await readFmp4Layout(at.part);
    const before = part.fragments.filter((f) => f.end <= at.offset);
    const init = before.at(-1)?.init;
    if (!init) throw new Error(`"${at.part}" holds no fragment before its checkpoint`);
    return await Fmp4LiveFile.#reopen(path, at.live_bytes, onWritten, (live, layout) => {
      if (!sameBytes(initCore(layout.inits[0]!), initCore(init))) {
        throw new Error("the live file's init segment is not the part's");
      }
      live.#init = init.bytes;
      live.#tracks = new Map(init.tracks);
      live.#shiftSeconds = at.shift_seconds ?? 0;
      for (const [id, end] of trackEnds(layout)) {
        live.#ends.set(id, end + Math.round(live.#shiftSeconds * live.#timescale(id)));
      }
      for (const fragment of before.slice(-REMEMBERED_FRAGMENTS)) {
        const source = { path: at.part, start: fragmentStart(fragment), end: fragment.end };
        live.#remember(fragmentKey(fragment.tracks), source);
        onWritten?.(source, live.#seconds(fragment.tracks), at.live_bytes);
      }
    });
  }

  /**
   * Reopens the live file a previous host's ffmpeg wrote from MPEG-TS parts, cut back to
   * `liveBytes`, for the fragments of a new ffmpeg (fed the parts from the checkpoint on) to
   * follow it: the new ffmpeg's init segment is not written, only checked to carry the same
   * tracks (its parameter sets may differ in bytes, not in meaning: ffmpeg keeps them in the
   * samples too), and its first fragment starts where the live file ends.
   */
  static async continue(path: string, liveBytes: number): Promise<Fmp4LiveFile> {
    return await Fmp4LiveFile.#reopen(path, liveBytes, undefined, (live, layout) => {
      live.#continues = layout.inits[0]!;
      live.#startAt = Math.max(
        ...[...trackEnds(layout)].map(([id, end]) =>
          end / (layout.inits[0]!.tracks.get(id)?.timescale || 1)
        ),
      );
    });
  }

  /**
   * Opens the live file at `path` once no process writes it any more (the previous host's ffmpeg
   * holds its lock until it has exited), cuts it back to `liveBytes`, checks that it ends there
   * with a whole fragment, counts its samples and lets `take` read the rest of it.
   */
  static async #reopen(
    path: string,
    liveBytes: number,
    onWritten: OnFragmentWritten | undefined,
    take: (live: Fmp4LiveFile, layout: Fmp4Layout) => void,
  ): Promise<Fmp4LiveFile> {
    const file = await Deno.open(path, { read: true, write: true });
    const live = new Fmp4LiveFile(file, onWritten);
    try {
      await lockUnwritten(file, path);
      await file.truncate(liveBytes);
      await file.seek(0, Deno.SeekMode.End);
      live.#size = liveBytes;
      const layout = await readFmp4Layout(path);
      if (layout.completeBytes !== liveBytes || layout.fragments.length === 0) {
        throw new Error(`the live file does not end with a whole fragment at ${liveBytes} bytes`);
      }
      for (const fragment of layout.fragments) {
        for (const track of fragment.tracks) {
          const kind = fragment.init.tracks.get(track.trackId)?.kind;
          if (kind === "video" || kind === "audio") live.samples[kind] += track.samples;
        }
      }
      take(live, layout);
      return live;
    } catch (error) {
      file.close();
      throw error;
    }
  }

  /** The source decode time, seconds, of a fragment's first track. */
  #seconds(tracks: readonly Fmp4TrackFragment[]): number {
    const first = tracks[0];
    return first ? first.baseTime / this.#timescale(first.trackId) : 0;
  }

  #timescale(trackId: number): number {
    return this.#tracks.get(trackId)?.timescale || 1;
  }

  #remember(key: string, source: FragmentSource): void {
    this.#recent.set(key, source);
    if (this.#recent.size > REMEMBERED_FRAGMENTS) {
      this.#recent.delete(this.#recent.keys().next().value!);
    }
  }

  async #write(bytes: Uint8Array): Promise<void> {
    let written = 0;
    while (written < bytes.byteLength) written += await this.#file.write(bytes.subarray(written));
    this.#size += written;
  }
}

/** How long a reopened live file waits for the previous host's ffmpeg to let go of it. */
const UNWRITTEN_WAIT_MS = 30_000;

/** Takes the live file's lock (`live_remux.ts` runs its ffmpeg holding it), waiting a while. */
async function lockUnwritten(file: Deno.FsFile, path: string): Promise<void> {
  for (let waited = 0; !(await file.tryLock(true)); waited += 250) {
    if (waited >= UNWRITTEN_WAIT_MS) {
      throw new Error(`"${path}" is still written by another process`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Per track id: where its last fragment in `layout` ends (its own timescale). */
function trackEnds(layout: Fmp4Layout): Map<number, number> {
  const ends = new Map<number, number>();
  for (const fragment of layout.fragments) {
    for (const track of fragment.tracks) {
      const end = track.baseTime + track.duration;
      ends.set(track.trackId, Math.max(end, ends.get(track.trackId) ?? 0));
    }
  }
  return ends;
}

/** Whether two inits carry the same tracks: ids, kinds, timescales and codecs. */
function sameTracks(a: ReadonlyMap<number, Fmp4Track>, b: ReadonlyMap<number, Fmp4Track>): boolean {
  if (a.size !== b.size) return false;
  return [...a].every(([id, track]) => {
    const other = b.get(id);
    return other?.kind === track.kind && other.timescale === track.timescale &&
      other.codec === track.codec;
  });
}

/** A fragment's decode times by track: a reconnect's repeat has the same key. */
function fragmentKey(tracks: readonly Fmp4TrackFragment[]): string {
  return tracks.map((t) => `${t.trackId}@${t.baseTime}`).join(",");
}

/** Where a fragment's `moof` starts in its file. */
function fragmentStart(fragment: Fmp4Fragment): number {
  return fragment.dataStart - fragment.moof.byteLength;
}

/**
 * What of an init segment decides how its fragments decode: `ftyp` and `moov` without the edit
 * lists and the user data, which a live file changes (`liveMoov`, and the chapters written into
 * it at the end). A part whose init has the core of the live file's continues it.
 */
export function initCore(init: Fmp4Init): Uint8Array {
  const boxes = [...children(init.bytes, 0, init.bytes.byteLength)];
  const ftyp = boxes.find(([type]) => type === "ftyp");
  const moov = boxes.find(([type]) => type === "moov");
  if (!ftyp || !moov) return init.bytes;
  const core = moovCore(init.bytes.subarray(moov[3], moov[2]));
  return concatBytes(init.bytes.subarray(ftyp[3], ftyp[2]), mp4Box("moov", ...core));
}

/** The children of a `moov` without its user data, each track without its edit list. */
function moovCore(moov: Uint8Array): Uint8Array[] {
  const kept: Uint8Array[] = [];
  for (const [type, start, end, boxStart] of children(moov, 8, moov.byteLength)) {
    if (type === "udta") continue;
    if (type !== "trak") {
      kept.push(moov.subarray(boxStart, end));
      continue;
    }
    const trak = [...children(moov, start, end)]
      .filter(([t]) => t !== "edts")
      .map(([, , e, boxStartOf]) => moov.subarray(boxStartOf, e));
    kept.push(mp4Box("trak", ...trak));
  }
  return kept;
}

/**
 * The source's `moov` as the live file carries it: each track without its edit list, the
 * source's user data replaced by the room for the chapters.
 */
function liveMoov(moov: Uint8Array): Uint8Array {
  const room = mp4Box("udta", mp4Box("free", new Uint8Array(LIVE_HEADER_ROOM_BYTES)));
  return mp4Box("moov", ...moovCore(moov), room);
}

/** Whether a track fragment header gives an absolute `base_data_offset` (flag 0x1). */
function hasAbsoluteDataOffset(moof: Uint8Array): boolean {
  const view = new DataView(moof.buffer, moof.byteOffset, moof.byteLength);
  for (const [type, start, end] of children(moof, 8, moof.byteLength)) {
    if (type !== "traf") continue;
    for (const [t, s] of children(moof, start, end)) {
      if (t === "tfhd" && (view.getUint32(s) & 0x1) !== 0) return true;
    }
  }
  return false;
}

/**
 * Whether the part bytes at `source` are `moof` then `data`. A repeat reaches back at most the
 * live window (30-40 s), which stays in the part: a source freed since reads as zeros, no match.
 */
async function holds(source: FragmentSource, moof: Uint8Array, data: Uint8Array): Promise<boolean> {
  if (source.end - source.start !== moof.byteLength + data.byteLength) return false;
  using file = await Deno.open(source.path, { read: true }).catch(() => undefined);
  if (!file) return false;
  const bytes = await readAt(file, source.start, source.end - source.start);
  return sameBytes(bytes.subarray(0, moof.byteLength), moof) &&
    sameBytes(bytes.subarray(moof.byteLength), data);
}
