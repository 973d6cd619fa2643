import { join } from "node:path";
import { AlreadyRunningError } from "../errors.ts";
import { FileLock } from "./file_lock.ts";
import { ensureRuntimeDir, verifyRuntimeDir } from "./runtime_dir.ts";

/** Path of the per-channel lock that keeps one channel from being recorded twice. */
export function userLockPath(runtimeDir: string, username: string): string {
  return join(runtimeDir, "users", `${username.toLowerCase()}.lock`);
}

/** Tries over this long before calling the channel taken: a fallback lock probe is brief. */
const ACQUIRE_ATTEMPTS = 5;
const ACQUIRE_PAUSE_MS = 50;

/**
 * Takes the channel's lock or fails with exit code 3 naming the channel. A lock still held after
 * a few quick attempts is a recorder; one that frees within them was only a check probing it
 * (where `/proc/locks` is unreadable, see file_lock.ts).
 */
export async function acquireUserLock(runtimeDir: string, username: string): Promise<FileLock> {
  await ensureRuntimeDir(runtimeDir);
  const path = userLockPath(runtimeDir, username);
  for (let attempt = 1; attempt <= ACQUIRE_ATTEMPTS; attempt++) {
    const lock = await FileLock.tryAcquire(path);
    if (lock) return lock;
    if (attempt < ACQUIRE_ATTEMPTS) {
      await new Promise((resolve) => setTimeout(resolve, ACQUIRE_PAUSE_MS));
    }
  }
  throw new AlreadyRunningError(`Channel "${username}" is already being recorded`);
}

/** Whether a recorder currently holds the channel's lock. */
export async function isUserLocked(runtimeDir: string, username: string): Promise<boolean> {
  await verifyRuntimeDir(runtimeDir);
  return await FileLock.isHeld(userLockPath(runtimeDir, username));
}
