/**
 * Whether a session's detached streamlink still runs, from a kernel fact: a lock the
 * streamlink process itself holds. A pid alone proves nothing (it is reused once the process
 * ends), a part's size proves nothing (a stalled streamlink writes nothing for seconds), and
 * `/proc/<pid>` is closed to Deno without `--allow-all`.
 *
 * The lock: the capture's log file is opened once, locked (`flock`, on that open file
 * description) and handed to streamlink as its stdout and stderr (see `spawnDetached()`), then
 * the launcher closes its own copy. From then on only streamlink (and anything it starts)
 * holds the description, so the lock drops exactly when streamlink is gone, kill -9 included.
 * Any process can test it (`FileLock.isHeld`), without running anything.
 */
import { FileLock } from "./file_lock.ts";

/** The streamlink writing a session's newest part, as journaled in its manifest. */
export interface CaptureProcess {
  readonly pid: number;
  /** Absolute path of the part it writes. */
  readonly part: string;
  /** The file whose lock streamlink holds while it runs; absent when it could not be locked. */
  readonly lock?: string;
}

/** Whether the capture's streamlink still runs (its lock is held). */
export async function isCaptureAlive(capture: CaptureProcess): Promise<boolean> {
  if (!capture.lock) return false;
  return await FileLock.isHeld(capture.lock);
}
