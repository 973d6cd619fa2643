/**
 * Control over what the page cache holds, without root. Dropping the whole cache
 * (`/proc/sys/vm/drop_caches`) needs root and hurts everyone else on the machine; instead each
 * of our own files is flushed (`sync`) and dropped with `posix_fadvise(DONTNEED)`, which GNU dd
 * does for `iflag=nocache count=0`. `fincore` then tells how much really left the cache, so the
 * report can say "cold" only when it was. On a virtual machine the host may still cache the
 * disk, which no guest can see.
 */
import { runCommand } from "../../src/proc/spawn.ts";

/** Flushes every dirty page of the machine to disk (`sync`), so earlier writes do not compete. */
export async function flushDirtyPages(): Promise<void> {
  const result = await runCommand("sync", []);
  if (result.code !== 0) throw new Error(`sync failed: ${result.stderr}`);
}

/** Drops `paths` from the page cache, best effort; returns the fraction (0-1) still cached. */
export async function evictFromPageCache(paths: readonly string[]): Promise<number> {
  await flushDirtyPages();
  for (const path of paths) {
    await runCommand("dd", [`if=${path}`, "iflag=nocache", "count=0", "status=none"]);
  }
  return await cachedFraction(paths);
}

/** Fraction (0-1) of the bytes of `paths` in the page cache; NaN when `fincore` is missing. */
export async function cachedFraction(paths: readonly string[]): Promise<number> {
  const result = await runCommand("fincore", ["-b", "-n", "-o", "RES,SIZE", ...paths]).catch(
    () => undefined,
  );
  if (!result || result.code !== 0) return NaN;
  let resident = 0;
  let size = 0;
  for (const line of result.stdout.trim().split("\n")) {
    const [res, total] = line.trim().split(/\s+/).map(Number);
    resident += Math.min(res ?? 0, total ?? 0);
    size += total ?? 0;
  }
  return size === 0 ? NaN : resident / size;
}
