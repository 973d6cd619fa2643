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
 * The file is written as `<name>.args.new` and locked before it is renamed to `<name>.args`
 * (the lock goes with the file), so every `.args` file is either locked by a live writer or
 * abandoned: the sweep removes abandoned ones at once, whatever their age. Only a `.new` file
 * may be unlocked for an instant (between its creation and its lock), so those are removed
 * once unlocked and a minute old.
 */
import { join } from "node:path";
import { ConfigError } from "../errors.ts";
import { splitSecretArgs } from "../proc/streamlink_args.ts";
import { ensurePrivateDir, listDirEntries, removeIfExists } from "./atomic_write.ts";
import { FileLock } from "./file_lock.ts";
import { ensureRuntimeDir, verifyRuntimeDir } from "./runtime_dir.ts";

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
  // A start sweeps whatever the config says now: the dead process may have had secrets. Only
  // in a runtime dir that is ours and private (a missing one has nothing to sweep).
  await verifyRuntimeDir(runtimeDir);
  await removeAbandonedArgsFiles(runtimeDir);
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
  const path = join(dir, `${Deno.pid}-${crypto.randomUUID().slice(0, 8)}.args`);
  const draft = `${path}${DRAFT_SUFFIX}`;
  const lock = await FileLock.tryAcquire(draft);
  try {
    const file = await Deno.open(draft, { write: true, truncate: true });
    try {
      const bytes = new TextEncoder().encode(split.secretLines.join("\n") + "\n");
      let written = 0;
      while (written < bytes.length) written += await file.write(bytes.subarray(written));
    } finally {
      file.close();
    }
    await Deno.rename(draft, path);
  } catch (error) {
    await removeIfExists(draft);
    lock?.release();
    throw error;
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

const DRAFT_SUFFIX = ".new";

/**
 * The args files in `<runtimeDir>/streamlink` whose writer is gone (see the module doc): every
 * unlocked `.args` file, and unlocked `.args.new` drafts older than a minute.
 */
export async function findAbandonedArgsFiles(runtimeDir: string): Promise<string[]> {
  const dir = join(runtimeDir, "streamlink");
  const found: string[] = [];
  for (const entry of await listDirEntries(dir)) {
    if (!entry.isFile) continue;
    const path = join(dir, entry.name);
    if (entry.name.endsWith(`.args${DRAFT_SUFFIX}`)) {
      const modified = (await Deno.stat(path).catch(() => undefined))?.mtime?.getTime();
      if (modified === undefined || Date.now() - modified < 60_000) continue;
    } else if (!entry.name.endsWith(".args")) {
      continue;
    }
    if (!(await FileLock.isHeld(path))) found.push(path);
  }
  return found;
}

/** Removes the args files of dead processes. */
export async function removeAbandonedArgsFiles(runtimeDir: string): Promise<void> {
  for (const path of await findAbandonedArgsFiles(runtimeDir)) await removeIfExists(path);
}
