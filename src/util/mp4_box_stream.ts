/**
 * The top-level boxes of an MP4 byte stream as they arrive (an ffmpeg writing fragmented MP4 to
 * its stdout): each box is yielded once all of it came, so a reader never sees half a fragment.
 * Only what one box needs is held (a fragment's `mdat`: a few seconds of media).
 */
import { readBoxHeader } from "./mp4_box.ts";

/** One complete box: its type, where it starts in the stream, and all its bytes. */
export interface StreamedBox {
  readonly type: string;
  readonly start: number;
  readonly bytes: Uint8Array;
}

/**
 * Yields the boxes of `stream` in order. Throws on a box whose size says "to the end" (a stream
 * has none) and on bytes left over at the end (a cut-off box).
 */
export async function* boxesOf(stream: ReadableStream<Uint8Array>): AsyncGenerator<StreamedBox> {
  const chunks: Uint8Array[] = [];
  let held = 0;
  let start = 0;
  for await (const chunk of stream) {
    chunks.push(chunk);
    held += chunk.byteLength;
    for (;;) {
      const header = held >= 8 ? take(chunks, Math.min(16, held), false) : undefined;
      const box = header && readBoxHeader(header, 0, Number.MAX_SAFE_INTEGER);
      if (!box) break;
      if (box.size === Number.MAX_SAFE_INTEGER) throw new Error("a box without a size in a stream");
      if (box.size > held) break;
      const bytes = take(chunks, box.size, true);
      held -= box.size;
      yield { type: box.type, start, bytes };
      start += box.size;
    }
  }
  if (held > 0) throw new Error(`the stream ended inside a box (${held} bytes left)`);
}

/** The first `length` bytes held in `chunks`, removed from them when `consume`. */
function take(chunks: Uint8Array[], length: number, consume: boolean): Uint8Array {
  if (chunks[0]!.byteLength >= length && !consume) return chunks[0]!.subarray(0, length);
  const out = new Uint8Array(length);
  let at = 0;
  let index = 0;
  while (at < length) {
    const chunk = chunks[index]!;
    const part = chunk.subarray(0, Math.min(chunk.byteLength, length - at));
    out.set(part, at);
    at += part.byteLength;
    if (!consume) index++;
    else if (part.byteLength === chunk.byteLength) chunks.shift();
    else chunks[0] = chunk.subarray(part.byteLength);
  }
  return out;
}
