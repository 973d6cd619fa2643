/**
 * How much a running recording has captured so far: the size of its part files in the temp
 * folder. Read from disk, not from the recorder, so `status` works for any recorder without
 * talking to it.
 */
import { join } from "node:path";
import { listDirEntries, readJsonFile } from "./atomic_write.ts";

const SESSION_SUFFIX = ".session.json";

/**
 * Bytes in the part files (`<base>_partNN.ts`) of `user`'s current session. The session is
 * the one whose manifest names the recorder's `pid`; without one (an older recorder, or a
 * manifest not written yet) the newest session of that user, by the timestamp in its name.
 */
export async function capturedBytes(tempDir: string, user: string, pid: number): Promise<number> {
  const entries: { name: string; size: number }[] = [];
  for (const entry of await listDirEntries(tempDir)) {
    if (!entry.isFile || !entry.name.startsWith(`${user}_`)) continue;
    const size = await Deno.stat(join(tempDir, entry.name)).then((s) => s.size, () => 0);
    entries.push({ name: entry.name, size });
  }
  const base = await sessionOf(tempDir, entries.map((e) => e.name), user, pid);
  if (base === undefined) return 0;
  const part = new RegExp(`^${escapeRegExp(base)}_part\\d+\\.ts$`);
  return entries.filter((e) => part.test(e.name)).reduce((sum, e) => sum + e.size, 0);
}

async function sessionOf(
  tempDir: string,
  names: readonly string[],
  user: string,
  pid: number,
): Promise<string | undefined> {
  for (const name of names.filter((n) => n.endsWith(SESSION_SUFFIX))) {
    const manifest = await readJsonFile(join(tempDir, name)).catch(() => undefined) as
      | { user?: unknown; pid?: unknown; base?: unknown }
      | undefined;
    if (manifest?.pid === pid && manifest.user === user && typeof manifest.base === "string") {
      return manifest.base;
    }
  }
  const partOfUser = new RegExp(`^(${escapeRegExp(user)}_[0-9_-]+)_part\\d+\\.ts$`);
  const bases = names.map((n) => partOfUser.exec(n)?.[1]).filter((b): b is string => !!b);
  return bases.sort().at(-1);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
