/**
 * Parts nothing can be made of (empty, or no audio/video stream ffprobe can find) are moved to
 * `<temp>/unreadable/` with a `<part>.reason.json` beside them instead of being retried: left
 * in `temp/` they would be picked up again as a session by every later `recover` and fail it
 * forever. Moved, never deleted: a user (or a better tool) may still salvage bytes from them.
 */
import { basename, join } from "node:path";
import { hasMediaStreams } from "../proc/ffprobe.ts";
import {
  ensurePrivateDir,
  pathExists,
  syncDirectory,
  writeJsonAtomic,
} from "../state/atomic_write.ts";

/** A part moved aside, and why. */
export interface QuarantinedPart {
  readonly part: string;
  readonly movedTo: string;
  readonly reason: string;
}

/** Folder unreadable parts are moved to. */
export function unreadableDir(tempDir: string): string {
  return join(tempDir, "unreadable");
}

/** Why `part` cannot become part of a recording, or `undefined` when it is readable media. */
export async function unreadableReason(part: string): Promise<string | undefined> {
  const size = (await Deno.stat(part)).size;
  if (size === 0) return "the part is empty (0 bytes)";
  if (!(await hasMediaStreams(part))) {
    return `ffprobe finds no audio or video stream in its ${size} bytes`;
  }
  return undefined;
}

/** Moves `part` to `<tempDir>/unreadable/` (never over another file) with its reason file. */
export async function quarantinePart(
  tempDir: string,
  part: string,
  reason: string,
  session: string,
): Promise<QuarantinedPart> {
  const dir = unreadableDir(tempDir);
  await ensurePrivateDir(dir);
  let movedTo = join(dir, basename(part));
  for (let n = 1; await pathExists(movedTo); n++) movedTo = join(dir, `${basename(part)}.${n}`);
  await writeJsonAtomic(`${movedTo}.reason.json`, {
    part,
    session,
    reason,
    quarantined_at: new Date().toISOString(),
  });
  await Deno.rename(part, movedTo);
  await syncDirectory(dir);
  await syncDirectory(tempDir);
  return { part, movedTo, reason };
}
