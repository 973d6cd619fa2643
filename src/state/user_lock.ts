import { join } from "node:path";
import { AlreadyRunningError } from "../errors.ts";
import { FileLock } from "./file_lock.ts";
import { ensureRuntimeDir } from "./runtime_dir.ts";

/** Path of the per-channel lock that keeps one channel from being recorded twice. */
export function userLockPath(runtimeDir: string, username: string): string {
  return join(runtimeDir, "users", `${username.toLowerCase()}.lock`);
}

/** Takes the channel's lock or fails with exit code 3 naming the channel. */
export async function acquireUserLock(runtimeDir: string, username: string): Promise<FileLock> {
  await ensureRuntimeDir(runtimeDir);
  const lock = await FileLock.tryAcquire(userLockPath(runtimeDir, username));
  if (!lock) {
    throw new AlreadyRunningError(`Channel "${username}" is already being recorded`);
  }
  return lock;
}

/** Whether a recorder currently holds the channel's lock. */
export function isUserLocked(runtimeDir: string, username: string): Promise<boolean> {
  return FileLock.isHeld(userLockPath(runtimeDir, username));
}
