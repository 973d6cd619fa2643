import { join } from "node:path";

/** Creates the runtime dir (slots, locks) private to this user: mode 0700. */
export async function ensureRuntimeDir(runtimeDir: string): Promise<void> {
  await Deno.mkdir(join(runtimeDir, "users"), { recursive: true, mode: 0o700 });
  await Deno.chmod(runtimeDir, 0o700);
}

/** Creates a folder and its parents if needed. */
export async function ensureDir(path: string): Promise<void> {
  await Deno.mkdir(path, { recursive: true });
}
