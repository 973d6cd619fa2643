import { join } from "node:path";
import { AlreadyRunningError } from "../errors.ts";
import { FileLock } from "./file_lock.ts";
import { ensureRuntimeDir, verifyRuntimeDir } from "./runtime_dir.ts";

/** Path of the per-channel lock that keeps one channel from being recorded twice. */
export function userLockPath(runtimeDir: string, username: string): string {
  return join(runtimeDir, "users", `${username.toLowerCase()}.lock`);
}

/**
 * Path of the channel's capture lock: held by the channel's streamlink itself (through
 * `flock --no-fork`, see `src/proc/locked_command.ts`) for as long as it runs, so the channel
 * stays taken while a capture runs whose recorder or poller is gone (stopped, crashed).
 */
export function userCaptureLockPath(runtimeDir: string, username: string): string {
  return join(runtimeDir, "users", `${username.toLowerCase()}.capture`);
}

/** Tries over this long before calling the channel taken: a fallback lock probe is brief. */
const ACQUIRE_ATTEMPTS = 5;
const ACQUIRE_PAUSE_MS = 50;

/** Options of {@link acquireUserLock}. */
export interface UserLockOptions {
  /**
   * The caller adopts the channel's running capture (a next poller, or `stop` finishing it):
   * the channel's capture lock being held is then expected, not a reason to refuse.
   */
  readonly adopting?: boolean;
}

/**
 * Takes the channel's lock or fails with exit code 3 naming the channel. A lock still held after
 * a few quick attempts is a recorder; one that frees within them was only a check probing it
 * (where `/proc/locks` is unreadable, see file_lock.ts). A channel whose capture runs without a
 * recorder (its capture lock is held) is taken too, unless `adopting`.
 */
export async function acquireUserLock(
  runtimeDir: string,
  username: string,
  options: UserLockOptions = {},
): Promise<FileLock> {
  await ensureRuntimeDir(runtimeDir);
  const path = userLockPath(runtimeDir, username);
  for (let attempt = 1; attempt <= ACQUIRE_ATTEMPTS; attempt++) {
    const lock = await FileLock.tryAcquire(path);
    if (lock) {
      if (options.adopting) return lock;
      // Only a holder of the channel lock starts a capture, so once we hold it this answer
      // can only change from held to free, never the other way (and probing it is safe).
      if (!(await FileLock.probe(userCaptureLockPath(runtimeDir, username)))) return lock;
      lock.release();
      throw new AlreadyRunningError(
        `Channel "${username}" is already being recorded: its capture runs without a recorder or poller (the next poller adopts it; "twitchtool stop" ends it)`,
      );
    }
    if (attempt < ACQUIRE_ATTEMPTS) {
      await new Promise((resolve) => setTimeout(resolve, ACQUIRE_PAUSE_MS));
    }
  }
  throw new AlreadyRunningError(`Channel "${username}" is already being recorded`);
}

/** Whether a recorder holds the channel's lock or a capture of it runs (its capture lock). */
export async function isUserLocked(runtimeDir: string, username: string): Promise<boolean> {
  return await isUserHosted(runtimeDir, username) || await isUserCapturing(runtimeDir, username);
}

/** Whether a capture of the channel runs (its streamlink holds the capture lock), hosted or not. */
export async function isUserCapturing(runtimeDir: string, username: string): Promise<boolean> {
  await verifyRuntimeDir(runtimeDir);
  return await FileLock.isHeldByWaiters(userCaptureLockPath(runtimeDir, username));
}

/** Whether a recorder or poller (not merely a running capture) holds the channel's lock. */
export async function isUserHosted(runtimeDir: string, username: string): Promise<boolean> {
  await verifyRuntimeDir(runtimeDir);
  return await FileLock.isHeld(userLockPath(runtimeDir, username));
}
