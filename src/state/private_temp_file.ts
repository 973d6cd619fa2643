import { join } from "node:path";
import { ensurePrivateDir, removeIfExists } from "./atomic_write.ts";

/**
 * Runs `use` with a fresh 0600 file holding `text` in `<dir>` (made 0700), and removes the file
 * afterwards: how a secret reaches a program without its command line (`apprise -c <file>`).
 */
export async function withPrivateFile<T>(
  dir: string,
  suffix: string,
  text: string,
  use: (path: string) => Promise<T>,
): Promise<T> {
  await ensurePrivateDir(dir);
  const path = join(dir, `${Deno.pid}-${crypto.randomUUID().slice(0, 8)}${suffix}`);
  await Deno.writeTextFile(path, text, { createNew: true, mode: 0o600 });
  try {
    return await use(path);
  } finally {
    await removeIfExists(path);
  }
}
