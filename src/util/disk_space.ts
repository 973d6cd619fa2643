import { statfs } from "node:fs/promises";
import { dirname } from "node:path";

/** Free bytes available to this user on the filesystem holding `path` (or its nearest existing parent). */
export async function freeBytes(path: string): Promise<number> {
  let current = path;
  for (;;) {
    try {
      const stats = await statfs(current);
      return Number(stats.bavail) * Number(stats.bsize);
    } catch (error) {
      const parent = dirname(current);
      if (parent === current || (error as { code?: string }).code !== "ENOENT") throw error;
      current = parent;
    }
  }
}

/**
 * `1.2 GiB free on "/videos", below disk_free_min 10.0 GiB`: the one wording of a low-disk
 * refusal (the recorder, tscompress and the encoder prefix it with "only"). `where` is
 * `on "<folder>"` or `for "<output file>"`.
 */
export function freeSpaceShortfall(free: number, min: number, where: string): string {
  return `${formatBytes(free)} free ${where}, below disk_free_min ${formatBytes(min)}`;
}

/** `1.5 GiB`-style size for messages. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/**
 * Whether `error` (or any error in its `cause` chain) is the filesystem being full (ENOSPC):
 * a condition to stop and keep what is on disk, never a crash.
 */
export function isNoSpaceError(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 8; depth++) {
    const { code, message, cause } = current as {
      code?: unknown;
      message?: unknown;
      cause?: unknown;
    };
    if (code === "ENOSPC") return true;
    if (typeof message === "string" && NO_SPACE.test(message)) return true;
    current = cause;
  }
  return false;
}

/** How the OS words ENOSPC in messages (ours, ffmpeg's and streamlink's). */
export const NO_SPACE = /No space left on device/i;
