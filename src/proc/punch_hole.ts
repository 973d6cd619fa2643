/**
 * Frees a byte range of a file in place (`fallocate --punch-hole`, util-linux): the range reads
 * as zeros afterwards and its blocks go back to the filesystem, while the file keeps its size
 * and every byte outside the range. The live remuxer frees the prefix of a part that is already
 * in the file written while recording, so a long broadcast without reconnects (one part file
 * streamlink keeps appending to) does not need its disk twice (`record/live_checkpoint.ts`).
 * Works on ext4, xfs, btrfs and tmpfs; elsewhere it fails and the part is kept whole.
 */
import { runCommand } from "./spawn.ts";

/** Block size ranges are rounded to: a partial block would only be zeroed, never freed. */
export const PUNCH_ALIGN = 4096;

/** The `fallocate` argv punching `[offset, offset + length)` of `path`. */
export function punchHoleArgs(path: string, offset: number, length: number): string[] {
  return ["--punch-hole", "--offset", String(offset), "--length", String(length), path];
}

/**
 * Punches `[from, to)` of `path`, shrunk inwards to whole {@link PUNCH_ALIGN} blocks; returns
 * the bytes freed (0 when no whole block lies inside). Throws with fallocate's message.
 */
export async function punchHole(path: string, from: number, to: number): Promise<number> {
  const start = Math.ceil(from / PUNCH_ALIGN) * PUNCH_ALIGN;
  const end = Math.floor(to / PUNCH_ALIGN) * PUNCH_ALIGN;
  if (end <= start) return 0;
  const result = await runCommand("fallocate", punchHoleArgs(path, start, end - start));
  if (result.code !== 0) {
    throw new Error(`Cannot free "${path}" in place: ${result.stderr.trim() || result.code}`);
  }
  return end - start;
}

/**
 * Frees `[from, to)` of `path` so that all of it reads as zeros: the whole blocks punched
 * ({@link punchHole}), the pieces of blocks at either end overwritten with zeros. A reader of a
 * fragmented MP4 part then finds a zero box header at `from` and the next box right where the
 * zeros end, at `to` (`record/fmp4_fragments.ts`). Returns the bytes given back to the disk.
 */
export async function freeRange(path: string, from: number, to: number): Promise<number> {
  if (to <= from) return 0;
  const freed = await punchHole(path, from, to);
  const start = Math.min(to, Math.ceil(from / PUNCH_ALIGN) * PUNCH_ALIGN);
  const end = Math.max(start, Math.floor(to / PUNCH_ALIGN) * PUNCH_ALIGN);
  using file = await Deno.open(path, { write: true });
  for (const [at, length] of [[from, start - from], [end, to - end]] as const) {
    if (length <= 0) continue;
    await file.seek(at, Deno.SeekMode.Start);
    const zeros = new Uint8Array(length);
    for (let written = 0; written < length;) written += await file.write(zeros.subarray(written));
  }
  return freed;
}
