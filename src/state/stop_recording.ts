/**
 * Stops a recorder from outside (`twitchtool stop <slot>`). SIGINT is the recorder's "stop
 * capturing and finalize" signal; it is done when it lets go of its channel lock, which it
 * holds through the merge and remux, so waiting for that lock means waiting for the .mp4.
 */
import { signalPid } from "../proc/spawn.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { FileLock } from "./file_lock.ts";
import type { ActiveSlot } from "./slot_pool.ts";
import { userLockPath } from "./user_lock.ts";

/** How {@link stopRecording} ended. */
export type StopRecordingResult = "stopped" | "killed" | "timeout";

/**
 * SIGINT to the slot's recorder, wait up to `timeoutMs` for it to finish (channel lock
 * free), then SIGKILL when `force` (its parts stay in the temp folder).
 */
export async function stopRecording(
  runtimeDir: string,
  slot: ActiveSlot,
  options: { timeoutMs: number; force: boolean; clock?: Clock },
): Promise<StopRecordingResult> {
  const clock = options.clock ?? systemClock;
  // Only the channel lock: the slot may be taken over at once by a recorder waiting for one.
  const lock = userLockPath(runtimeDir, slot.username);
  const released = async () => !(await FileLock.isHeld(lock));
  const waitReleased = async (timeoutMs: number) => {
    const deadline = clock.now() + timeoutMs;
    while (clock.now() < deadline) {
      if (await released()) return true;
      await clock.sleep(200);
    }
    return await released();
  };
  await signalPid(slot.pid, "SIGINT");
  if (await waitReleased(options.timeoutMs)) return "stopped";
  if (!options.force) return "timeout";
  await signalPid(slot.pid, "SIGKILL");
  await waitReleased(5000);
  return "killed";
}
