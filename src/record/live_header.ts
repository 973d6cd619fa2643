/**
 * Title/game chapters in the file written while recording (`live_remux.ts`), without a pass over
 * it. A fragmented MP4 keeps its index (`moov`) at the head, written before the first fragment,
 * long before the broadcast's chapters are known; growing it at the end would shift every byte
 * after it. So the live ffmpeg is given a padding comment ({@link liveRoomMetadata}), which it
 * writes into the `moov`'s user-data box (`udta`), and at the end that box is rewritten in place,
 * at the same size: the chapters as a Nero chapter list (`chpl`, which ffmpeg, mpv and VLC read
 * and the encoder's `-map_chapters` keeps), the title as an iTunes tag, the rest a `free` box.
 * Nothing after the box moves; the rewrite is a few KiB, and running it again gives the same
 * bytes, so a kill in the middle is repaired by the next finish.
 */
import type { Chapter } from "../chat/session_chapters.ts";
import { mp4Box, readBoxHeader } from "../util/mp4_box.ts";
import { children } from "./fmp4_fragments.ts";
import { readAt } from "../util/read_at.ts";

/** Room kept in the live file's index for the chapters: ~100 chapters with long titles. */
export const LIVE_HEADER_ROOM_BYTES = 16 * 1024;

/** A Nero chapter list counts its chapters in one byte, and each title's length in one. */
const MAX_CHAPTERS = 255;
const MAX_TITLE_BYTES = 255;

/** The ffmetadata the live ffmpeg reads as a second input: the room, as a comment of spaces. */
export function liveRoomMetadata(): string {
  return `;FFMETADATA1\ncomment=${" ".repeat(LIVE_HEADER_ROOM_BYTES)}\n`;
}

/** Where the live file's `moov/udta` box is, and the bytes it held (for the encoder tag). */
interface UserDataBox {
  readonly offset: number;
  readonly bytes: Uint8Array;
}

/**
 * Writes `chapters` (the first one's title as the file's title) into the room of the live file
 * at `path`, and fsyncs it; the reason when it cannot (no room, too many chapters), in which case
 * the file is untouched. With no chapters the room's padding comment is still replaced.
 */
export async function writeLiveHeader(
  path: string,
  chapters: readonly Chapter[],
): Promise<string | undefined> {
  if (chapters.length > MAX_CHAPTERS) return `it has more than ${MAX_CHAPTERS} chapters`;
  using file = await Deno.open(path, { read: true, write: true });
  const udta = await findUserData(file);
  if (!udta) return chapters.length > 0 ? "the live file has no room for chapters" : undefined;
  const boxes = [
    ...(chapters.length > 0 ? [chapterList(chapters)] : []),
    metaBox(chapters[0]?.title, encoderTag(udta.bytes)),
  ];
  const used = 8 + boxes.reduce((sum, box) => sum + box.byteLength, 0);
  const rest = udta.bytes.byteLength - used;
  if (rest !== 0 && rest < 8) return "the live file has no room for its chapters";
  const rewritten = mp4Box(
    "udta",
    ...boxes,
    ...(rest > 0 ? [mp4Box("free", new Uint8Array(rest - 8))] : []),
  );
  await file.seek(udta.offset, Deno.SeekMode.Start);
  let written = 0;
  while (written < rewritten.byteLength) {
    written += await file.write(rewritten.subarray(written));
  }
  await file.sync();
  return undefined;
}

/** The `udta` child of the file's leading `moov`, if any. */
async function findUserData(file: Deno.FsFile): Promise<UserDataBox | undefined> {
  const size = (await file.stat()).size;
  let offset = 0;
  while (offset + 8 <= size) {
    const header = readBoxHeader(await readAt(file, offset, 16), 0, size - offset);
    if (!header || offset + header.size > size) return undefined;
    if (header.type === "moov") {
      const moov = await readAt(file, offset, header.size);
      const found = child(moov, header.headerSize, moov.byteLength, "udta");
      return found &&
        { offset: offset + found.start, bytes: moov.subarray(found.start, found.end) };
    }
    if (header.type !== "ftyp" && header.type !== "free") return undefined;
    offset += header.size;
  }
  return undefined;
}

/** The first child box of `type` in `bytes[start, end)`: where it starts, its payload and end. */
function child(
  bytes: Uint8Array,
  start: number,
  end: number,
  type: string,
): { start: number; payload: number; end: number } | undefined {
  for (const [found, payload, boxEnd, boxStart] of children(bytes, start, end)) {
    if (found === type) return { start: boxStart, payload, end: boxEnd };
  }
  return undefined;
}

/** The encoder tag (`©too`) of an iTunes tag list in `udta`, kept as it was; a torn box gives none. */
function encoderTag(udta: Uint8Array): Uint8Array | undefined {
  const meta = child(udta, 8, udta.byteLength, "meta");
  // `meta` is a full box: four bytes of version and flags before its children.
  const ilst = meta && child(udta, meta.payload + 4, meta.end, "ilst");
  const tool = ilst && child(udta, ilst.payload, ilst.end, "\u00a9too");
  return tool && udta.slice(tool.start, tool.end);
}

/** A Nero chapter list: version 1, a start in 100 ns units and a title of ≤ 255 bytes each. */
function chapterList(chapters: readonly Chapter[]): Uint8Array {
  const entries = chapters.map((chapter) => {
    const title = utf8Prefix(chapter.title, MAX_TITLE_BYTES);
    const entry = new Uint8Array(9 + title.byteLength);
    new DataView(entry.buffer).setBigUint64(0, BigInt(Math.round(chapter.start * 1e7)));
    entry[8] = title.byteLength;
    entry.set(title, 9);
    return entry;
  });
  const head = new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0, chapters.length]);
  return mp4Box("chpl", head, ...entries);
}

/** `meta` with an iTunes handler and tag list: the title (`©nam`) and the encoder tag. */
function metaBox(title: string | undefined, tool: Uint8Array | undefined): Uint8Array {
  const handler = mp4Box(
    "hdlr",
    new Uint8Array(8),
    new TextEncoder().encode("mdirappl"),
    new Uint8Array(9),
  );
  const tags = [
    ...(title
      ? [mp4Box("\u00a9nam", mp4Box("data", new Uint8Array([0, 0, 0, 1, 0, 0, 0, 0]), utf8(title)))]
      : []),
    ...(tool ? [tool] : []),
  ];
  return mp4Box("meta", new Uint8Array(4), handler, mp4Box("ilst", ...tags));
}

function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** `text` as UTF-8, cut to at most `limit` bytes at a character boundary. */
function utf8Prefix(text: string, limit: number): Uint8Array {
  const bytes = utf8(text);
  if (bytes.byteLength <= limit) return bytes;
  let end = limit;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.slice(0, end);
}
