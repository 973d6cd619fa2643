/**
 * Positioned reads for the parsers that look into media files without loading them (container
 * sniffing, fMP4 boxes, a finished recording's duration): one loop that keeps reading until the
 * buffer is full, because `read` may return fewer bytes than asked.
 */

/** Up to `length` bytes of `file` from `offset`; fewer only where the file ends. */
export async function readAt(
  file: Deno.FsFile,
  offset: number,
  length: number,
): Promise<Uint8Array> {
  return await readInto(file, offset, new Uint8Array(length));
}

/**
 * Fills `buffer` from `file` at `offset` and returns the filled part (shorter only where the
 * file ends): for a scan that reads a file chunk by chunk into one buffer, so it leaves no
 * trail of chunks behind for the garbage collector (a recorder's memory).
 */
export async function readInto(
  file: Deno.FsFile,
  offset: number,
  buffer: Uint8Array,
): Promise<Uint8Array> {
  await file.seek(offset, Deno.SeekMode.Start);
  let filled = 0;
  while (filled < buffer.byteLength) {
    const n = await file.read(buffer.subarray(filled));
    if (n === null) break;
    filled += n;
  }
  return buffer.subarray(0, filled);
}

/** `a` then `b` in a new array: a piece cut by a read's end, completed by the next read. */
export function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.byteLength + b.byteLength);
  joined.set(a);
  joined.set(b, a.byteLength);
  return joined;
}
