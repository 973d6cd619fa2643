/**
 * The runtime dir holds the slot and channel locks and the slot owner files. Everything in it is
 * trusted: `status` deletes stale owner files there, recorders create locks there, `stop` signals
 * the pids it finds there. So, as ssh-agent and tmux do with their sockets' folder, it is used
 * only when it is a real folder (not a symbolic link), owned by us and closed to everyone else
 * (no group/other permission bits): a folder someone else made in a shared place like `/tmp`
 * (or a link pointing elsewhere) is refused with a {@link ConfigError} (exit 2), never followed,
 * created into or "repaired" with chmod.
 */
import { dirname, join } from "node:path";
import { ConfigError } from "../errors.ts";
import { ifFound } from "./atomic_write.ts";

/**
 * Fails unless `runtimeDir` is trustworthy (see the module doc). A missing folder passes: there
 * is nothing in it to trust, and whoever creates it goes through {@link ensureRuntimeDir}.
 */
export async function verifyRuntimeDir(runtimeDir: string): Promise<void> {
  const info = await ifFound(Deno.lstat(runtimeDir));
  if (!info) return;
  const problem = untrustedBecause(info, Deno.uid());
  if (problem) {
    throw new ConfigError(
      `Refusing runtime dir "${runtimeDir}": ${problem}; use a folder of your own with mode 0700 ` +
        `(paths.runtime_dir, or XDG_RUNTIME_DIR)`,
    );
  }
}

/** Why a folder with this `lstat` cannot be trusted by user `uid`, or `undefined` when it can. */
export function untrustedBecause(info: Deno.FileInfo, uid: number | null): string | undefined {
  if (info.isSymlink) return "it is a symbolic link";
  if (!info.isDirectory) return "it is not a folder";
  if (uid !== null && info.uid !== null && info.uid !== uid) {
    return `it is owned by uid ${info.uid}, not by uid ${uid}`;
  }
  const mode = (info.mode ?? 0) & 0o777;
  if ((mode & 0o077) !== 0) {
    return `its mode is ${mode.toString(8).padStart(4, "0")}, open to other users (want 0700)`;
  }
  return undefined;
}

/**
 * Creates the runtime dir (mode 0700) and its `users/` folder if missing, then checks it is
 * ours (a folder that already existed is checked, never chmod'ed).
 */
export async function ensureRuntimeDir(runtimeDir: string): Promise<void> {
  // Parents it creates are private; an existing parent (the user's home, say) is left alone.
  await Deno.mkdir(dirname(runtimeDir), { recursive: true, mode: 0o700 });
  await makePrivateDir(runtimeDir);
  await verifyRuntimeDir(runtimeDir);
  await makePrivateDir(join(runtimeDir, "users"));
}

/** mkdir 0700 whatever the umask (a new folder only: an existing one is verified, not fixed). */
async function makePrivateDir(path: string): Promise<void> {
  try {
    await Deno.mkdir(path, { mode: 0o700 });
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    return;
  }
  await Deno.chmod(path, 0o700);
}
