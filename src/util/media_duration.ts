/**
 * How long a finished recording plays, read from the file itself without starting ffprobe:
 * the `mvhd` box of an MP4, or the first and last PCR of an MPEG-TS. Listing many recordings
 * stays fast and needs no permission to run programs. The answer is the container's word, good
 * for a listing; checks that must not be fooled count packets instead (ffprobe).
 */
import { readBoxHeader } from "./mp4_box.ts";
import { readAt } from "./read_at.ts";

const TS_PACKET = 188;
const TS_WINDOW = 1 << 20;
/** The first window read at either end: a PCR comes every 100 ms at most, ~100 KB at 8 Mbit/s. */
const FIRST_WINDOW = 64 << 10;

/** Seconds of `path` (.mp4 or .ts by content), or null when it cannot be read. */
export async function mediaDuration(path: string): Promise<number | null> {
  return await readMedia(
    path,
    async (file, size, firstByte) =>
      firstByte === 0x47 ? await tsDuration(file, size) : await mp4Duration(file, size),
  );
}

/**
 * Opens `path` and hands `read` the file, its size, its first byte (0x47 starts MPEG-TS) and
 * its inode; null when the file cannot be opened or read.
 */
async function readMedia<T>(
  path: string,
  read: (
    file: Deno.FsFile,
    size: number,
    firstByte: number | undefined,
    ino: number | null,
  ) => Promise<T | null>,
): Promise<T | null> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch {
    return null;
  }
  try {
    const { size, ino } = await file.stat();
    return await read(file, size, (await readAt(file, 0, 1))[0], ino);
  } catch {
    return null;
  } finally {
    file.close();
  }
}

/** Walks boxes to `moov` (wherever it is) and reads `mvhd`'s duration / timescale. */
async function mp4Duration(file: Deno.FsFile, size: number): Promise<number | null> {
  const moov = await findBox(file, 0, size, "moov");
  if (!moov) return null;
  const mvhd = await findBox(file, moov.body, moov.end, "mvhd");
  if (!mvhd) return null;
  const body = await readAt(file, mvhd.body, 32);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const version = view.getUint8(0);
  const [timescale, duration] = version === 1
    ? [view.getUint32(20), Number(view.getBigUint64(24))]
    : [view.getUint32(12), view.getUint32(16)];
  return timescale > 0 ? duration / timescale : null;
}

async function findBox(
  file: Deno.FsFile,
  start: number,
  end: number,
  type: string,
): Promise<{ body: number; end: number } | undefined> {
  for (let offset = start; offset + 8 <= end;) {
    const box = readBoxHeader(await readAt(file, offset, 16), 0, end - offset);
    if (!box) return undefined;
    if (box.type === type) return { body: offset + box.headerSize, end: offset + box.size };
    offset += box.size;
  }
  return undefined;
}

/** (last PCR - first PCR) of the first PID carrying a PCR, from the file's head and tail. */
async function tsDuration(file: Deno.FsFile, size: number): Promise<number | null> {
  const range = await tsRange(file, size);
  return range ? Math.max(0, range.end - range.start) : null;
}

/**
 * First and last PCR (seconds) of an MPEG-TS file, or null for anything else: where a part
 * sits on the broadcast's clock, so the gap between two parts can be told from a reset.
 */
export async function tsTimeRange(path: string): Promise<{ start: number; end: number } | null> {
  return await readMedia(
    path,
    async (file, size, firstByte) => firstByte === 0x47 ? await tsRange(file, size) : null,
  );
}

async function tsRange(
  file: Deno.FsFile,
  size: number,
): Promise<{ start: number; end: number } | null> {
  const first = await firstPcr(file, size);
  if (!first) return null;
  const last = await lastPcr(file, size, first.pid);
  return last ? { start: first.base / 90_000, end: last.base / 90_000 } : null;
}

/**
 * The media length of one file sampled again and again while it grows (the chat sampler's
 * part, every 2 s). An MPEG-TS file's first PCR is read once per file (by inode, so a new file
 * under the same name is read afresh) and each sample reads only the tail it needs: kilobytes
 * per sample instead of the 2 MiB of fresh buffers a cold {@link mediaDuration} reads, which a
 * recorder would otherwise hold until the next garbage collection. Gives what
 * `mediaDuration` gives for the same bytes.
 */
export class GrowingMediaDuration {
  #first: { ino: number | null; pcr: Pcr } | undefined;

  constructor(readonly path: string) {}

  /** Seconds of the file now, or null when it cannot be read (yet). */
  async sample(): Promise<number | null> {
    return await readMedia(this.path, async (file, size, firstByte, ino) => {
      if (firstByte !== 0x47) return await mp4Duration(file, size);
      if (this.#first?.ino !== ino) {
        const pcr = await firstPcr(file, size);
        this.#first = pcr ? { ino, pcr } : undefined;
      }
      const first = this.#first?.pcr;
      const last = first ? await lastPcr(file, size, first.pid) : undefined;
      return first && last ? Math.max(0, last.base / 90_000 - first.base / 90_000) : null;
    });
  }
}

/** The first PCR of the file: the head read in growing windows up to {@link TS_WINDOW}. */
async function firstPcr(file: Deno.FsFile, size: number): Promise<Pcr | undefined> {
  for (let window = FIRST_WINDOW;; window *= 4) {
    const head = await readAt(file, 0, Math.min(size, window, TS_WINDOW));
    const first = pcrs(head)[0];
    if (first || window >= TS_WINDOW || head.byteLength >= size) return first;
  }
}

/**
 * The last PCR of `pid` within the file's last {@link TS_WINDOW} bytes, read from the end in
 * growing windows aligned on packets from the file's start: the first window holding one
 * holds the file's last.
 */
async function lastPcr(file: Deno.FsFile, size: number, pid: number): Promise<Pcr | undefined> {
  for (let window = FIRST_WINDOW;; window *= 4) {
    const span = Math.min(window, TS_WINDOW);
    const tailStart = Math.max(0, Math.floor((size - span) / TS_PACKET) * TS_PACKET);
    const tail = await readAt(file, tailStart, size - tailStart);
    const last = pcrs(tail).filter((pcr) => pcr.pid === pid).at(-1);
    if (last || span >= TS_WINDOW || tailStart === 0) return last;
  }
}

/** A program clock reference: its PID and its 90 kHz base. */
interface Pcr {
  readonly pid: number;
  readonly base: number;
}

function pcrs(bytes: Uint8Array): Pcr[] {
  const found: Pcr[] = [];
  for (let at = 0; at + TS_PACKET <= bytes.length; at += TS_PACKET) {
    if (bytes[at] !== 0x47) continue;
    const hasAdaptation = (bytes[at + 3]! & 0x20) !== 0;
    if (!hasAdaptation || bytes[at + 4]! < 7 || (bytes[at + 5]! & 0x10) === 0) continue;
    const pid = ((bytes[at + 1]! & 0x1f) << 8) | bytes[at + 2]!;
    const b = (index: number) => bytes[at + index]!;
    const base = b(6) * 2 ** 25 + b(7) * 2 ** 17 + b(8) * 2 ** 9 + b(9) * 2 + (b(10) >> 7);
    found.push({ pid, base });
  }
  return found;
}
