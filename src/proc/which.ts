import { join } from "node:path";
import type { LowPriorityTools } from "./ffmpeg_args.ts";
import { MissingToolError } from "../errors.ts";

/** Absolute path of `name` on PATH, or `undefined`. */
export async function findExecutable(
  name: string,
  path = Deno.env.get("PATH") ?? "",
): Promise<string | undefined> {
  if (name.includes("/")) return (await isExecutable(name)) ? name : undefined;
  for (const dir of path.split(":")) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** Fails with exit code 2 naming the first missing tool. */
export async function requireTools(names: readonly string[]): Promise<void> {
  for (const name of names) {
    if (!(await findExecutable(name))) throw new MissingToolError(name);
  }
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    const info = await Deno.stat(path);
    return info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0;
  } catch {
    return false;
  }
}

/**
 * Which of `nice` and `ionice` exist and this process may start (the `record` role's
 * `--allow-run` list omits them), for running ffmpeg at low priority.
 */
export async function findLowPriorityTools(): Promise<LowPriorityTools> {
  const usable = async (name: string) =>
    (await Deno.permissions.query({ name: "run", command: name })).state === "granted" &&
    (await findExecutable(name)) !== undefined;
  return { nice: await usable("nice"), ionice: await usable("ionice") };
}
