/**
 * Whether a session's capture is still running, decided from a fact the kernel keeps: the
 * capture process itself (streamlink) holds an exclusive lock on
 * `<runtime_dir>/capture/<base>.lock` for exactly as long as it lives. It inherits the locked
 * descriptor through `flock --no-fork` (see `src/proc/locked_command.ts`), so the lock outlives
 * a recorder killed with -9 and vanishes with the last streamlink, kill -9 included. A part
 * that has not grown for a while proves nothing: streamlink may be waiting out a read timeout
 * and resume writing into it.
 */
import { join } from "node:path";
import { ensurePrivateDir, removeIfExists } from "./atomic_write.ts";
import { FileLock } from "./file_lock.ts";
import { ensureRuntimeDir } from "./runtime_dir.ts";

/** Path of the lock a session's capture process holds while it writes a part. */
export function captureLockPath(runtimeDir: string, base: string): string {
  return join(runtimeDir, "capture", `${base}.lock`);
}

/** Creates the session's lock file (0600) so the capture process can lock it; returns its path. */
export async function prepareCaptureLock(runtimeDir: string, base: string): Promise<string> {
  await ensureRuntimeDir(runtimeDir);
  const path = captureLockPath(runtimeDir, base);
  await ensurePrivateDir(join(runtimeDir, "capture"));
  await prepareLockFile(path);
  return path;
}

/**
 * Creates a lock file (0600) in an existing private folder, so `flock`, which would create it
 * with the umask's mode, finds it there.
 */
export async function prepareLockFile(path: string): Promise<void> {
  (await Deno.open(path, { write: true, create: true, mode: 0o600 })).close();
}

/**
 * Pid of the process capturing into session `base` (the holder of its capture lock, as the
 * kernel names it), or `undefined` when none runs or the kernel's lock table is unreadable.
 */
export function captureHolderPid(runtimeDir: string, base: string): Promise<number | undefined> {
  return FileLock.holderPid(captureLockPath(runtimeDir, base));
}

/**
 * Whether a process (a recorder's streamlink, even one whose recorder died) is still capturing
 * into session `base`: its parts must then not be finalized, trimmed or deleted.
 */
export function isSessionCaptureAlive(runtimeDir: string, base: string): Promise<boolean> {
  return FileLock.isHeldByWaiters(captureLockPath(runtimeDir, base));
}

/** Drops the lock file of a session whose capture has ended for good. */
export async function removeCaptureLock(runtimeDir: string, base: string): Promise<void> {
  await removeIfExists(captureLockPath(runtimeDir, base));
}
