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
 * a segment the later part holds whole, so the join is seamless), or the whole of `later` when
 * all of it lies inside the end of `earlier`. 0 when nothing repeats.
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
  const from = Math.max(0, aSize - searchBytes);
  let position = from - (from % TS_PACKET_SIZE);
  while (position < aSize) {
    const window = await readAt(a, position, SCAN + needle.byteLength);
    const stop = Math.min(SCAN, window.byteLength);
    for (let at = 0; at < stop; at += TS_PACKET_SIZE) {
      const start = position + at;
      const length = Math.min(needle.byteLength, aSize - start);
      if (!startsWith(window, at, needle, length)) continue;
      const repeated = await repeatsFrom(a, aSize, start, b, bSize);
      if (repeated > 0) return repeated;
    }
    position += SCAN;
  }
  return 0;
}

/** Whether `haystack` at `at` holds the first `length` bytes of `needle`. */
function startsWith(haystack: Uint8Array, at: number, needle: Uint8Array, length: number): boolean {
  if (at + length > haystack.byteLength) return false;
  for (let i = 0; i < length; i++) if (haystack[at + i] !== needle[i]) return false;
  return true;
}

/**
 * Bytes of `later` repeated when `earlier` from `start` on equals `later`'s head (0 otherwise):
 * up to the end of `earlier`, or all of `later` when it is shorter.
 */
async function repeatsFrom(
  a: Deno.FsFile,
  aSize: number,
  start: number,
  b: Deno.FsFile,
  bSize: number,
): Promise<number> {
  const length = Math.min(aSize - start, bSize);
  for (let done = 0; done < length; done += CHUNK) {
    const want = Math.min(CHUNK, length - done);
    const left = await readAt(a, start + done, want);
    const right = await readAt(b, done, want);
    if (left.byteLength !== want || right.byteLength !== want) return 0;
    for (let i = 0; i < want; i++) if (left[i] !== right[i]) return 0;
  }
  return length;
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
  using a = await Deno.open(earlier.path, { read: true });
  using b = await Deno.open(later.path, { read: true });
  for (let index = 0; index < fragments.length; index++) {
    const length = Math.min(fragments.length - index, later.layout.fragments.length);
    let same = true;
    for (let k = 0; k < length && same; k++) {
      same = await sameFragment(a, fragments[index + k]!, b, later.layout.fragments[k]!);
    }
    if (same) return length;
  }
  return 0;
}

async function sameFragment(
  a: Deno.FsFile,
  x: Fmp4Fragment,
  b: Deno.FsFile,
  y: Fmp4Fragment,
): Promise<boolean> {
  if (x.end - x.dataStart !== y.end - y.dataStart || x.moof.byteLength !== y.moof.byteLength) {
    return false;
  }
  for (let i = 0; i < x.moof.byteLength; i++) if (x.moof[i] !== y.moof[i]) return false;
  const length = x.end - x.dataStart;
  for (let done = 0; done < length; done += CHUNK) {
    const want = Math.min(CHUNK, length - done);
    const left = await readAt(a, x.dataStart + done, want);
    const right = await readAt(b, y.dataStart + done, want);
    if (left.byteLength !== want || right.byteLength !== want) return false;
    for (let i = 0; i < want; i++) if (left[i] !== right[i]) return false;
  }
  return true;
}
