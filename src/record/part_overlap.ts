/**
 * Content a new part repeats from the part before. A streamlink started after a crash, a network
 * error or a playlist 403 begins inside the live window, so its first segments are ones the
 * previous part already wrote: streamlink writes segments byte for byte, so the repeat is the
 * same bytes (MPEG-TS) or the same fragments (fMP4). Decided by content only: an encoder restart
 * sends timestamps back too, but its bytes differ, so it is never taken for a repeat.
 */
import type { Fmp4Fragment, Fmp4Layout } from "./fmp4_fragments.ts";
import { TS_PACKET_SIZE } from "./ts_packets.ts";
import { readAt } from "../util/read_at.ts";

/** How far back into the earlier part a repeat is looked for (Twitch's window is 30-40 s). */
export const OVERLAP_SEARCH_BYTES = 128 * 1024 * 1024;

/** Packets of the later part's head used to find candidates in the earlier part. */
const NEEDLE_PACKETS = 8;

const CHUNK = 1024 * 1024;

/** Bytes of the earlier part scanned per read: whole packets, so every step stays aligned. */
const SCAN = TS_PACKET_SIZE * 5600;

/**
 * How many leading bytes of MPEG-TS part `later` repeat the end of part `earlier`: the longest
 * head of `later` that equals a tail of `earlier` (a part cut mid-segment ends with the start of
 * a segment the later part holds whole, so the join is seamless), or, when no head reaches the
 * end of `earlier`, the whole of `later` if all of it lies inside the end of `earlier`. 0 when
 * nothing repeats. A match that reaches the end of `earlier` wins over one inside it: content
 * that happens to recur (a looping source) is never taken for the repeat.
 */
export async function tsRepeatedBytes(
  earlier: string,
  later: string,
  searchBytes = OVERLAP_SEARCH_BYTES,
): Promise<number> {
  using a = await Deno.open(earlier, { read: true });
  using b = await Deno.open(later, { read: true });
  const aSize = (await a.stat()).size;
  const bSize = (await b.stat()).size;
  const needle = await readAt(b, 0, Math.min(bSize, NEEDLE_PACKETS * TS_PACKET_SIZE));
  if (needle.byteLength < TS_PACKET_SIZE || needle[0] !== 0x47) return 0;
  const starts = await candidateStarts(a, aSize, needle, searchBytes);
  // Heads reaching the end of `earlier`, longest first.
  for (const start of starts) {
    if (aSize - start > bSize) continue;
    if (await sameBytes(a, start, b, 0, aSize - start)) return aSize - start;
  }
  // Otherwise `later` may lie wholly inside the end of `earlier`.
  for (const start of starts.toReversed()) {
    if (aSize - start <= bSize) continue;
    if (await sameBytes(a, start, b, 0, bSize)) return bSize;
  }
  return 0;
}

/**
 * Packet starts in `path` where all of `needle` (whole packets) lies: the same byte search that
 * finds repeats, used by `backfill_vod.ts` to find a part's head or tail inside a VOD download.
 */
export async function tsNeedleStarts(path: string, needle: Uint8Array): Promise<number[]> {
  using file = await Deno.open(path, { read: true });
  const size = (await file.stat()).size;
  const starts = await candidateStarts(file, size, needle, size);
  return starts.filter((start) => start + needle.byteLength <= size);
}

/**
 * How many leading bytes of a later part must be written before {@link tsRepeatedBytes} can tell
 * its repeat of `earlier`: the longest tail of `earlier` that `head` (the later part's first
 * bytes) may begin; 0 when no tail can be repeated. The live remuxer waits for this much, so it
 * drops the same repeat finalize drops.
 */
export async function tsRepeatLengthBound(earlier: string, head: Uint8Array): Promise<number> {
  const needle = head.subarray(0, Math.min(head.byteLength, NEEDLE_PACKETS * TS_PACKET_SIZE));
  if (needle.byteLength < TS_PACKET_SIZE || needle[0] !== 0x47) return 0;
  using a = await Deno.open(earlier, { read: true });
  const aSize = (await a.stat()).size;
  const starts = await candidateStarts(a, aSize, needle, OVERLAP_SEARCH_BYTES);
  return starts.length > 0 ? aSize - starts[0]! : 0;
}

/** The bytes of a later part's head {@link tsRepeatLengthBound} needs. */
export const REPEAT_NEEDLE_BYTES = NEEDLE_PACKETS * TS_PACKET_SIZE;

/** Packet starts in the last `searchBytes` of `a` where `needle` begins (cut short at the end). */
async function candidateStarts(
  a: Deno.FsFile,
  aSize: number,
  needle: Uint8Array,
  searchBytes: number,
): Promise<number[]> {
  const starts: number[] = [];
  const from = Math.max(0, aSize - searchBytes);
  for (let position = from - (from % TS_PACKET_SIZE); position < aSize; position += SCAN) {
    const window = await readAt(a, position, SCAN + needle.byteLength);
    const stop = Math.min(SCAN, window.byteLength);
    for (let at = 0; at < stop; at += TS_PACKET_SIZE) {
      const length = Math.min(needle.byteLength, aSize - position - at);
      if (startsWith(window, at, needle, length)) starts.push(position + at);
    }
  }
  return starts;
}

/** Whether `haystack` at `at` holds the first `length` bytes of `needle`. */
function startsWith(haystack: Uint8Array, at: number, needle: Uint8Array, length: number): boolean {
  if (at + length > haystack.byteLength) return false;
  for (let i = 0; i < length; i++) if (haystack[at + i] !== needle[i]) return false;
  return true;
}

/** Whether `length` bytes of `a` from `aStart` equal those of `b` from `bStart`. */
async function sameBytes(
  a: Deno.FsFile,
  aStart: number,
  b: Deno.FsFile,
  bStart: number,
  length: number,
): Promise<boolean> {
  for (let done = 0; done < length; done += CHUNK) {
    const want = Math.min(CHUNK, length - done);
    const left = await readAt(a, aStart + done, want);
    const right = await readAt(b, bStart + done, want);
    if (left.byteLength !== want || right.byteLength !== want) return false;
    for (let i = 0; i < want; i++) if (left[i] !== right[i]) return false;
  }
  return true;
}

/** A part's fragmented-MP4 layout and where it lives. */
export interface Fmp4Part {
  readonly path: string;
  readonly layout: Fmp4Layout;
}

/**
 * How many leading fragments of fMP4 part `later` repeat the last fragments of `earlier`
 * (the same `moof` and the same media bytes; a fragment cut off at the end of `earlier` is not
 * in its layout, so `later`'s whole copy of it is kept). 0 when nothing repeats.
 */
export async function fmp4RepeatedFragments(earlier: Fmp4Part, later: Fmp4Part): Promise<number> {
  const first = later.layout.fragments[0];
  if (!first) return 0;
  const fragments = earlier.layout.fragments;
  const count = later.layout.fragments.length;
  using a = await Deno.open(earlier.path, { read: true });
  using b = await Deno.open(later.path, { read: true });
  const matches = async (index: number, length: number) => {
    for (let k = 0; k < length; k++) {
      if (!(await sameFragment(a, fragments[index + k]!, b, later.layout.fragments[k]!))) {
        return false;
      }
    }
    return true;
  };
  // As for MPEG-TS: a head reaching the end of `earlier` (longest first), else `later` whole
  // inside its end.
  for (let index = Math.max(0, fragments.length - count); index < fragments.length; index++) {
    if (await matches(index, fragments.length - index)) return fragments.length - index;
  }
  for (let index = fragments.length - count - 1; index >= 0; index--) {
    if (await matches(index, count)) return count;
  }
  return 0;
}

/** Whether two fragments are the same: the same `moof` box and the same media bytes. */
async function sameFragment(
  a: Deno.FsFile,
  x: Fmp4Fragment,
  b: Deno.FsFile,
  y: Fmp4Fragment,
): Promise<boolean> {
  const length = x.end - x.dataStart;
  return length === y.end - y.dataStart && x.moof.byteLength === y.moof.byteLength &&
    startsWith(x.moof, 0, y.moof, y.moof.byteLength) &&
    await sameBytes(a, x.dataStart, b, y.dataStart, length);
}
