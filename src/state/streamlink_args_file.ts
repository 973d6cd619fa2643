/**
 * Secret streamlink options (OAuth headers, cookies) reach streamlink through an args file
 * instead of its command line, which any user of the machine can read (`ps`, /proc/<pid>/cmdline).
 * streamlink's parser expands an `@<file>` argument into the options the file lists, one
 * `name=value` per line, exactly as it reads its own config files (checked with the installed
 * 5.2.1 and in upstream's source up to 8.5, which still loads config files through the same `@`
 * expansion), so the user's streamlink config files still apply, unlike with `--config`, which
 * replaces them. No streamlink version marks `--twitch-api-header` as sensitive, so at
 * `--loglevel debug` streamlink prints it whatever way it came in: the recorder masks it. The file lives in the runtime dir (0700, checked to
 * be ours), is created 0600 with a fresh name, and is removed when the process that wrote it is
 * done with it. The writer holds a lock on its file while it lives, so a file left by a process
 * killed with -9 is recognised (lock free) and removed by the next recorder or poller to start.
 */
import { join } from "node:path";
import { ConfigError } from "../errors.ts";
import { splitSecretArgs } from "../proc/streamlink_args.ts";
import { ensurePrivateDir, listDirEntries, removeIfExists } from "./atomic_write.ts";
import { FileLock } from "./file_lock.ts";
import { ensureRuntimeDir } from "./runtime_dir.ts";

/** `extra_args` ready for a command line, and the private file holding the rest. */
export interface StreamlinkExtraArgs extends AsyncDisposable {
  /** `extra_args` with the secret options replaced by `@<file>` (unchanged when none). */
  readonly args: readonly string[];
  /** Values to mask wherever they could be logged. */
  readonly secrets: readonly string[];
}

/** Moves the secret options of `extraArgs` into a private args file (see the module doc). */
export async function privateStreamlinkArgs(
  runtimeDir: string,
  extraArgs: readonly string[],
): Promise<StreamlinkExtraArgs> {
  const split = splitSecretArgs(extraArgs);
  if (split.secretLines.length === 0) {
    return { args: extraArgs, secrets: [], [Symbol.asyncDispose]: async () => {} };
  }
  const broken = split.secretLines.find((line) => /[\r\n]/.test(line));
  if (broken) {
    throw new ConfigError(
      `Invalid streamlink.extra_args: the value of "--${
        broken.slice(0, broken.indexOf("="))
      }" holds a line break`,
    );
  }
  await ensureRuntimeDir(runtimeDir);
  const dir = join(runtimeDir, "streamlink");
  await ensurePrivateDir(dir);
  await removeAbandoned(dir);
  const path = join(dir, `${Deno.pid}-${crypto.randomUUID().slice(0, 8)}.args`);
  // Locked from creation on; the sweep also spares files younger than a minute, so a file
  // between its creation and its lock is never taken for abandoned.
  const lock = await FileLock.tryAcquire(path);
  const file = await Deno.open(path, { write: true, truncate: true });
  try {
    const bytes = new TextEncoder().encode(split.secretLines.join("\n") + "\n");
    let written = 0;
    while (written < bytes.length) written += await file.write(bytes.subarray(written));
  } finally {
    file.close();
  }
  const args = [...split.visible.slice(0, split.at), `@${path}`, ...split.visible.slice(split.at)];
  return {
    args,
    secrets: split.secrets,
    [Symbol.asyncDispose]: async () => {
      try {
        await removeIfExists(path);
      } finally {
        lock?.release();
      }
    },
  };
}

/** Removes args files whose writer is gone (lock free, older than a minute). */
async function removeAbandoned(dir: string): Promise<void> {
  for (const entry of await listDirEntries(dir)) {
    if (!entry.isFile || !entry.name.endsWith(".args")) continue;
    const path = join(dir, entry.name);
    const modified = (await Deno.stat(path).catch(() => undefined))?.mtime?.getTime();
    if (modified === undefined || Date.now() - modified < 60_000) continue;
    if (!(await FileLock.isHeld(path))) await removeIfExists(path);
  }
}
