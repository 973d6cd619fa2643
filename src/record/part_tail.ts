/**
 * Detects content captured twice. A source that keeps serving its ended playlist (with
 * #EXT-X-ENDLIST: a VOD URL, or a platform that does so for a while after the broadcast) makes
 * every reconnect download the same final segments again, and streamlink writes segments byte
 * for byte, so such a part is exactly the tail of the part before it.
 */

const CHUNK = 64 * 1024;

/**
 * Whether every byte of `candidate` equals the last bytes of `earlier` (a repeat of content
 * already captured). Reads chunk by chunk and stops at the first difference, so a part with new
 * content costs one small read.
 */
export async function isTailOfPart(candidate: string, earlier: string): Promise<boolean> {
  const [a, b] = await Promise.all([Deno.stat(candidate), Deno.stat(earlier)]);
  if (a.size === 0 || a.size > b.size) return false;
  using repeat = await Deno.open(candidate, { read: true });
  using original = await Deno.open(earlier, { read: true });
  await original.seek(b.size - a.size, Deno.SeekMode.Start);
  const left = new Uint8Array(CHUNK);
  const right = new Uint8Array(CHUNK);
  for (let done = 0; done < a.size;) {
    const want = Math.min(CHUNK, a.size - done);
    if (!(await readFull(repeat, left, want)) || !(await readFull(original, right, want))) {
      return false;
    }
    for (let i = 0; i < want; i++) if (left[i] !== right[i]) return false;
    done += want;
  }
  return true;
}

async function readFull(file: Deno.FsFile, buffer: Uint8Array, length: number): Promise<boolean> {
  for (let read = 0; read < length;) {
    const n = await file.read(buffer.subarray(read, length));
    if (n === null) return false;
    read += n;
  }
  return true;
}
