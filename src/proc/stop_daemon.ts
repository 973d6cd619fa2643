/**
 * Stopping a daemon (poller, encoder) from another process: it is not our child, so it is
 * signalled by the pid in its pid file and is gone when its single-instance lock drops. Lives in
 * proc/ (the one place that signals); the files it reads belong to state/daemon_state.ts.
 */
import { type DaemonName, daemonPaths } from "../state/daemon_status.ts";
import { readDaemonState } from "../state/daemon_state.ts";
import { FileLock } from "../state/file_lock.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { signalPid } from "./spawn.ts";
import { stopProcess } from "./stop_process.ts";

/** Result of {@link stopDaemon}. */
export type StopResult = "not-running" | "stopped" | "killed" | "timeout";

/** How long `stop --force` waits for a daemon to go after its SIGKILL. */
export const KILL_WAIT_MS = 5000;

/**
 * Stops a daemon: SIGTERM, wait up to `timeoutMs` for its lock to drop, then SIGKILL when
 * `force` and wait up to {@link KILL_WAIT_MS} more. A paused encoder continues its own ffmpeg on SIGTERM, so
 * nothing is sent before it. `killed` only when the lock dropped after the SIGKILL; a daemon
 * that outlives both waits is a `timeout`.
 */
export async function stopDaemon(
  stateDir: string,
  name: DaemonName,
  options: { timeoutMs: number; force: boolean; clock?: Clock },
): Promise<StopResult> {
  const state = await readDaemonState(stateDir, name);
  if (!state.running || state.pid === null) return "not-running";
  const pid = state.pid;
  const lock = daemonPaths(stateDir, name).lock;
  const ended = await stopProcess(
    {
      send: (signal) => signalPid(pid, signal),
      isGone: async () => !(await FileLock.isHeld(lock)),
    },
    [
      { signal: "SIGTERM", waitMs: options.timeoutMs },
      ...(options.force ? [{ signal: "SIGKILL" as const, waitMs: KILL_WAIT_MS }] : []),
    ],
    { clock: options.clock ?? systemClock, pollMs: 100 },
  );
  if (ended === 0) return "stopped";
  return ended === 1 ? "killed" : "timeout";
}
