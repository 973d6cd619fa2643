/**
 * `twitchtool stop <slot>` for a recording hosted inside the poller. Its slot names the poller's
 * pid, and a signal to that pid would stop the poller, not the one recording; so the stop is
 * asked through a file, `<runtime_dir>/users/<user>.stop`, which the session watches and treats
 * exactly like SIGINT to a `record` process: stop capturing, finalize, release the channel lock.
 */
import { join } from "node:path";
import { pathExists, removeIfExists, writeJsonAtomic } from "./atomic_write.ts";
import { ensureRuntimeDir } from "./runtime_dir.ts";

/** Path of a channel's stop request. */
export function stopRequestPath(runtimeDir: string, username: string): string {
  return join(runtimeDir, "users", `${username.toLowerCase()}.stop`);
}

/** Asks the session recording `username` to stop and finalize. */
export async function requestStop(runtimeDir: string, username: string): Promise<void> {
  await ensureRuntimeDir(runtimeDir);
  await writeJsonAtomic(stopRequestPath(runtimeDir, username), {
    requested_at: new Date().toISOString(),
  });
}

/** Whether a stop was asked for `username`'s session. */
export function isStopRequested(runtimeDir: string, username: string): Promise<boolean> {
  return pathExists(stopRequestPath(runtimeDir, username));
}

/** Drops a request (handled, or stale from before the session started). */
export async function clearStopRequest(runtimeDir: string, username: string): Promise<void> {
  await removeIfExists(stopRequestPath(runtimeDir, username));
}
