/**
 * Stops a recorder from outside (`twitchtool stop <slot>`). SIGINT is a `record` process's
 * "stop capturing and finalize" signal; a recording hosted by the poller gets the same through
 * a stop request file (a signal would reach the whole poller). Either is done when it lets go
 * of its channel lock, which it holds through the merge and remux, so waiting for that lock
 * means waiting for the .mp4.
 */
import { FileLock } from "../state/file_lock.ts";
import type { ActiveSlot } from "../state/slot_pool.ts";
import { requestStop } from "../state/stop_request.ts";
import { userLockPath } from "../state/user_lock.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { signalPid } from "./spawn.ts";
import { stopProcess } from "./stop_process.ts";

/**
 * How {@link stopRecording} ended. `timeout` includes a hosted recording with `force`: killing
 * its host would stop the poller and every other recording, so it is left to finish; and a
 * `record` process that still held its channel lock after the SIGKILL wait too.
 */
export type StopRecordingResult = "stopped" | "killed" | "timeout";

/**
 * Asks the slot's recording to stop (SIGINT to a `record` process, a stop request to one the
 * poller hosts), waits up to `timeoutMs` for it to finish (channel lock free), then SIGKILLs a
 * `record` process when `force` (its parts stay in the temp folder).
 */
export async function stopRecording(
  runtimeDir: string,
  slot: ActiveSlot,
  options: { timeoutMs: number; force: boolean; clock?: Clock },
): Promise<StopRecordingResult> {
  // Only the channel lock: the slot may be taken over at once by a recorder waiting for one.
  const lock = userLockPath(runtimeDir, slot.username);
  const hosted = slot.host === "poller";
  const ended = await stopProcess(
    {
      send: (signal) =>
        signal === "SIGINT" && hosted
          ? requestStop(runtimeDir, slot.username)
          : signalPid(slot.pid, signal),
      isGone: async () => !(await FileLock.isHeld(lock)),
    },
    [
      { signal: "SIGINT", waitMs: options.timeoutMs },
      ...(options.force && !hosted ? [{ signal: "SIGKILL" as const, waitMs: 5000 }] : []),
    ],
    { clock: options.clock ?? systemClock },
  );
  if (ended === 0) return "stopped";
  return ended === 1 ? "killed" : "timeout";
}
