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

/** One write of a {@link freeRange}: zeros written over `[from, to)`, or those whole blocks punched. */
export interface FreeStep {
  readonly kind: "zero" | "punch";
  readonly from: number;
  readonly to: number;
}

/**
 * The writes that free `[from, to)`, in the order {@link freeRange} makes them. The piece of a
 * block at `from` is zeroed first, so from the first write on the zeros begin where the range
 * does (a fragment's start), and a reader of a part whose recorder was killed between two writes
 * finds zeros where a fragment should start and the next fragment after them
 * (`record/fmp4_fragments.ts`), whatever is left of the range.
 */
export function freeRangeSteps(from: number, to: number): FreeStep[] {
  if (to <= from) return [];
  const start = Math.min(to, Math.ceil(from / PUNCH_ALIGN) * PUNCH_ALIGN);
  const end = Math.max(start, Math.floor(to / PUNCH_ALIGN) * PUNCH_ALIGN);
  const steps: FreeStep[] = [
    { kind: "zero", from, to: start },
    { kind: "punch", from: start, to: end },
    { kind: "zero", from: end, to },
  ];
  return steps.filter((step) => step.to > step.from);
}

/** Makes one {@link FreeStep} on `path`; returns the bytes given back to the disk. */
export async function applyFreeStep(path: string, step: FreeStep): Promise<number> {
  if (step.kind === "punch") return await punchHole(path, step.from, step.to);
  using file = await Deno.open(path, { write: true });
  await file.seek(step.from, Deno.SeekMode.Start);
  const zeros = new Uint8Array(step.to - step.from);
  for (let written = 0; written < zeros.byteLength;) {
    written += await file.write(zeros.subarray(written));
  }
  return 0;
}

/**
 * Frees `[from, to)` of `path` so that all of it reads as zeros: the whole blocks punched
 * ({@link punchHole}), the pieces of blocks at either end overwritten with zeros. A reader of a
 * fragmented MP4 part then finds a zero box header at `from` and the next box right where the
 * zeros end, at `to` (`record/fmp4_fragments.ts`). Returns the bytes given back to the disk.
 */
export async function freeRange(path: string, from: number, to: number): Promise<number> {
  let freed = 0;
  for (const step of freeRangeSteps(from, to)) freed += await applyFreeStep(path, step);
  return freed;
}
