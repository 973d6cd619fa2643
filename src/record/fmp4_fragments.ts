/**
 * Reading the fragmented-MP4 byte stream streamlink writes for fMP4 renditions (HEVC, AV1,
 * newer H.264): an init segment (`ftyp` + `moov`), then `moof` + `mdat` fragments, with the init
 * segment repeated or changed mid-file. Only box headers, the init and the small `moof` boxes are
 * read; media data (`mdat`) is streamed, never held in memory.
 */
import { boxType, readBoxHeader } from "../util/mp4_box.ts";
import { concatBytes, readAt, readInto } from "../util/read_at.ts";

/** One track of an init segment. */
export interface Fmp4Track {
  readonly id: number;
  readonly timescale: number;
  readonly kind: "video" | "audio" | "other";
  /** Sample entry type of the track (`avc1`, `hvc1`, `av01`, `mp4a`, ...). */
  readonly codec: string;
  /** From `trex`: used when neither `tfhd` nor `trun` gives sample durations. */
  readonly defaultDuration: number;
}

/** An init segment and the tracks it declares. */
export interface Fmp4Init {
  readonly bytes: Uint8Array;
  readonly tracks: ReadonlyMap<number, Fmp4Track>;
}

/** One track's run of samples inside a `moof`. */
export interface Fmp4TrackFragment {
  readonly trackId: number;
  /** Offset of the `tfdt` full-box header inside the `moof`. */
  readonly tfdtOffset: number;
  readonly tfdtVersion: number;
  /** Decode time of the first sample, in the track's timescale. */
  readonly baseTime: number;
  /** Sum of the sample durations, in the track's timescale. */
  readonly duration: number;
  readonly samples: number;
}

/** A complete `moof` + `mdat` pair (other boxes between them count as part of it). */
export interface Fmp4Fragment {
  readonly init: Fmp4Init;
  readonly moof: Uint8Array;
  /** File offset just after the `moof`; the fragment's remaining bytes run to `end`. */
  readonly dataStart: number;
  readonly end: number;
  readonly tracks: readonly Fmp4TrackFragment[];
  /** The first fragment after a range of the part freed while recording (read as zeros). */
  readonly afterFreed?: true;
}

/** What a fragmented MP4 file holds. */
export interface Fmp4Layout {
  readonly fragments: readonly Fmp4Fragment[];
  /** Distinct init segments in order (a changed codec configuration adds one). */
  readonly inits: readonly Fmp4Init[];
  /** Where the last complete box ends: bytes after it are a cut-off write. */
  readonly completeBytes: number;
  readonly size: number;
}

/** Reads the box layout of an fMP4 file; throws when it has no init segment. */
export async function readFmp4Layout(path: string): Promise<Fmp4Layout> {
  const file = await Deno.open(path, { read: true });
  try {
    const size = (await file.stat()).size;
    const fragments: Fmp4Fragment[] = [];
    const inits: Fmp4Init[] = [];
    let init: Fmp4Init | undefined;
    let ftyp: Uint8Array = new Uint8Array(0);
    let pending: { moof: Uint8Array; dataStart: number } | undefined;
    let offset = 0;
    let completeBytes = 0;
    let afterFreed = false;
    while (offset + 8 <= size) {
      const header = await readAt(file, offset, 16);
      if (header.subarray(0, 8).every((byte) => byte === 0)) {
        // A range freed while recording (`live_checkpoint.ts`): zeros up to the next fragment.
        const next = await fragmentAfterZeros(file, offset, size);
        if (next === undefined) break;
        offset = completeBytes = next;
        pending = undefined;
        afterFreed = true;
        continue;
      }
      const box = readBoxHeader(header, 0, size - offset);
      if (!box || offset + box.size > size) break;
      const { type, size: boxSize } = box;
      const end = offset + boxSize;
      if (type === "ftyp") {
        ftyp = await readAt(file, offset, boxSize);
      } else if (type === "moov") {
        const moov = await readAt(file, offset, boxSize);
        const bytes = concatBytes(ftyp, moov);
        if (!init || !sameBytes(init.bytes, bytes)) {
          init = { bytes, tracks: parseMoov(moov) };
          inits.push(init);
        }
        pending = undefined;
      } else if (type === "moof") {
        pending = { moof: await readAt(file, offset, boxSize), dataStart: end };
      } else if (type === "mdat" && pending && init) {
        fragments.push({
          init,
          moof: pending.moof,
          dataStart: pending.dataStart,
          end,
          tracks: parseMoof(pending.moof, init.tracks),
          ...(afterFreed ? { afterFreed: true as const } : {}),
        });
        pending = undefined;
        afterFreed = false;
      }
      offset = end;
      if (!pending) completeBytes = offset;
    }
    if (inits.length === 0) throw new Error(`"${path}" has no MP4 init segment (moov)`);
    return { fragments, inits, completeBytes, size };
  } finally {
    file.close();
  }
}

/**
 * `[from, size)` of `file` a megabyte at a time, each chunk with where it starts; consecutive
 * chunks share `overlap` bytes. The buffer is reused: a chunk is valid until the next one.
 */
async function* chunksOf(
  file: Deno.FsFile,
  from: number,
  size: number,
  overlap: number,
): AsyncGenerator<[number, Uint8Array]> {
  const chunk = new Uint8Array(1 << 20);
  for (let at = from; at + overlap < size; at += chunk.byteLength - overlap) {
    const bytes = await readInto(
      file,
      at,
      chunk.subarray(0, Math.min(chunk.byteLength, size - at)),
    );
    if (bytes.byteLength === 0) return;
    yield [at, bytes];
    if (bytes.byteLength < chunk.byteLength) return;
  }
}

/** Where the first byte that is not zero lies at or after `from`, if any before `size`. */
async function nextNonZero(
  file: Deno.FsFile,
  from: number,
  size: number,
): Promise<number | undefined> {
  for await (const [at, bytes] of chunksOf(file, from, size, 0)) {
    const found = firstNonZero(bytes);
    if (found >= 0) return at + found;
  }
  return undefined;
}

/**
 * Where the fragment after a run of zeros starting at `from` begins (undefined: zeros up to the
 * end). A freed range ends on a `moof`, whose size field starts with zero bytes, so it starts up
 * to three bytes before the first byte that is not zero. A recorder killed while it freed a range
 * may leave the middle of a fragment between the zeros and the `moof` that ends the range
 * (`proc/punch_hole.ts`): that fragment lost its head and is skipped too.
 */
async function fragmentAfterZeros(
  file: Deno.FsFile,
  from: number,
  size: number,
): Promise<number | undefined> {
  const first = await nextNonZero(file, from, size);
  if (first === undefined) return undefined;
  const found = await nextMoof(file, Math.max(from, first - 3), size);
  if (found !== undefined) return found;
  // Not a freed range: something to keep whole, never to trim as a cut-off write.
  throw new Error(`zeros at byte ${from} are followed by no fragment (at byte ${first})`);
}

const MOOF = new TextEncoder().encode("moof");

/**
 * Where the first `moof` box at or after `from` starts: its type, a `mfhd` as its first child
 * (ISO 14496-12 puts it there) and an `mdat` where it ends, so media bytes that merely spell
 * "moof" are not taken for one.
 */
async function nextMoof(
  file: Deno.FsFile,
  from: number,
  size: number,
): Promise<number | undefined> {
  // Chunks overlap by 8 bytes: a box header cut by one chunk's end lies whole in the next.
  for await (const [at, bytes] of chunksOf(file, from, size, 8)) {
    for (
      let type = bytes.indexOf(MOOF[0]!, 4);
      type >= 0;
      type = bytes.indexOf(MOOF[0]!, type + 1)
    ) {
      const spelled = MOOF.every((byte, i) => bytes[type + i] === byte);
      if (spelled && await isMoof(file, at + type - 4, size)) return at + type - 4;
    }
  }
  return undefined;
}

/** Whether a `moof` box starts at `at` ({@link nextMoof}); one cut off by the end counts. */
async function isMoof(file: Deno.FsFile, at: number, size: number): Promise<boolean> {
  const header = await readAt(file, at, 16);
  const moof = readBoxHeader(header, 0, size - at);
  const mfhd = readBoxHeader(header, 8, size - at - 8);
  if (moof?.type !== "moof" || mfhd?.type !== "mfhd" || moof.headerSize !== 8) return false;
  if (at + moof.size + 8 > size) return true;
  return boxType(await readAt(file, at + moof.size, 8), 4) === "mdat";
}

/** Index of the first byte of `bytes` that is not zero, or -1; a word at a time (freed GBs). */
function firstNonZero(bytes: Uint8Array): number {
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2);
  let i = 0;
  while (i < words.length && words[i] === 0) i++;
  for (let at = i * 4; at < bytes.byteLength; at++) if (bytes[at] !== 0) return at;
  return -1;
}

/**
 * Cuts a fragmented MP4 killed mid-write back to its last complete fragment, keeping everything
 * before the cut. Returns the bytes removed (0 when already whole).
 */
export async function trimFmp4ToCompleteFragments(path: string): Promise<number> {
  const layout = await readFmp4Layout(path);
  const excess = layout.size - layout.completeBytes;
  if (excess <= 0) return 0;
  const file = await Deno.open(path, { write: true });
  try {
    await file.truncate(layout.completeBytes);
  } finally {
    file.close();
  }
  return excess;
}

/** Child boxes of `data[start, end)` as [type, payloadStart, end, boxStart]; a torn one ends them. */
export function* children(
  data: Uint8Array,
  start: number,
  end: number,
): Generator<[string, number, number, number]> {
  let offset = start;
  while (offset + 8 <= end) {
    const box = readBoxHeader(data, offset, end - offset);
    if (!box || offset + box.size > end) return;
    yield [box.type, offset + box.headerSize, offset + box.size, offset];
    offset += box.size;
  }
}

/** The tracks a `moov` box (its bytes from its header on) declares, by track id. */
export function parseMoov(moov: Uint8Array): Map<number, Fmp4Track> {
  const view = new DataView(moov.buffer, moov.byteOffset, moov.byteLength);
  const found = new Map<number, { timescale: number; kind: Fmp4Track["kind"]; codec: string }>();
  const defaults = new Map<number, number>();
  for (const [type, start, end] of children(moov, 8, moov.byteLength)) {
    if (type === "trak") {
      let id = 0;
      let timescale = 0;
      let kind: Fmp4Track["kind"] = "other";
      let codec = "";
      for (const [t, s, e] of children(moov, start, end)) {
        if (t === "tkhd") id = view.getUint32(s + (moov[s] === 1 ? 20 : 12));
        if (t !== "mdia") continue;
        for (const [m, ms, me] of children(moov, s, e)) {
          if (m === "minf") codec = sampleEntryType(moov, ms, me);
          if (m === "mdhd") timescale = view.getUint32(ms + (moov[ms] === 1 ? 20 : 12));
          if (m === "hdlr") {
            const handler = boxType(moov, ms + 8);
            kind = handler === "vide" ? "video" : handler === "soun" ? "audio" : "other";
          }
        }
      }
      if (id > 0 && timescale > 0) found.set(id, { timescale, kind, codec });
    } else if (type === "mvex") {
      for (const [t, s] of children(moov, start, end)) {
        if (t === "trex") defaults.set(view.getUint32(s + 4), view.getUint32(s + 12));
      }
    }
  }
  const tracks = new Map<number, Fmp4Track>();
  for (const [id, track] of found) {
    tracks.set(id, { id, ...track, defaultDuration: defaults.get(id) ?? 0 });
  }
  return tracks;
}

/** The first sample entry's type in `minf/stbl/stsd`. */
function sampleEntryType(moov: Uint8Array, start: number, end: number): string {
  for (const [t, s, e] of children(moov, start, end)) {
    if (t !== "stbl") continue;
    for (const [b, bs] of children(moov, s, e)) if (b === "stsd") return boxType(moov, bs + 12);
  }
  return "";
}

/** Each track's run of samples in a `moof` box (its bytes from its header on). */
export function parseMoof(
  moof: Uint8Array,
  tracks: ReadonlyMap<number, Fmp4Track>,
): Fmp4TrackFragment[] {
  const view = new DataView(moof.buffer, moof.byteOffset, moof.byteLength);
  const result: Fmp4TrackFragment[] = [];
  for (const [type, start, end] of children(moof, 8, moof.byteLength)) {
    if (type !== "traf") continue;
    let trackId = 0;
    let defaultDuration = 0;
    let tfdtOffset = -1;
    let tfdtVersion = 0;
    let baseTime = 0;
    let duration = 0;
    let samples = 0;
    for (const [t, s, e] of children(moof, start, end)) {
      const flags = view.getUint32(s) & 0xffffff;
      if (t === "tfhd") {
        trackId = view.getUint32(s + 4);
        defaultDuration = tracks.get(trackId)?.defaultDuration ?? 0;
        let at = s + 8;
        if (flags & 0x01) at += 8;
        if (flags & 0x02) at += 4;
        if (flags & 0x08) defaultDuration = view.getUint32(at);
      } else if (t === "tfdt") {
        tfdtOffset = s - 8;
        tfdtVersion = moof[s]!;
        baseTime = tfdtVersion === 1 ? Number(view.getBigUint64(s + 4)) : view.getUint32(s + 4);
      } else if (t === "trun") {
        const count = view.getUint32(s + 4);
        let at = s + 8;
        if (flags & 0x01) at += 4;
        if (flags & 0x04) at += 4;
        const stride = [0x100, 0x200, 0x400, 0x800].filter((bit) => flags & bit).length * 4;
        for (let i = 0; i < count && at <= e; i++, at += stride) {
          duration += flags & 0x100 ? view.getUint32(at) : defaultDuration;
        }
        samples += count;
      }
    }
    if (trackId > 0 && tfdtOffset >= 0) {
      result.push({ trackId, tfdtOffset, tfdtVersion, baseTime, duration, samples });
    }
  }
  return result;
}

/** Whether two init segments are the same bytes (a repeated init changes nothing). */
export function sameInit(a: Fmp4Init, b: Fmp4Init): boolean {
  return a === b || sameBytes(a.bytes, b.bytes);
}

/** Whether two byte ranges hold the same bytes. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
