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
  await file.seek(offset, Deno.SeekMode.Start);
  const buffer = new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    const n = await file.read(buffer.subarray(filled));
    if (n === null) break;
    filled += n;
  }
  return buffer.subarray(0, filled);
}
