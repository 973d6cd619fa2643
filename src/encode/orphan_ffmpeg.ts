/**
 * An encoder killed with SIGKILL leaves its ffmpeg running (or stopped, if a recording had
 * paused it): nothing reaps it, and it would keep burning CPU beside recordings. Its pid is in
 * the last status file. Pids get reused, so before killing we check that the process still runs
 * in the idle I/O class we started ffmpeg with (`ionice -c3`), which ordinary processes almost
 * never do; without `ionice` we cannot tell, and leave it alone.
 */
import { getLogger } from "@logtape/logtape";
import { runCommand, signalPid } from "../proc/spawn.ts";
import { findExecutable } from "../proc/which.ts";
import type { ReadStatus } from "../state/daemon_status.ts";

const log = getLogger(["twitchtool", "encode"]);

/** The ffmpeg pid recorded in an encoder status file, if any. */
export function ffmpegPidOf(status: ReadStatus<"encoder"> | null): number | undefined {
  const pid = status?.current_job?.ffmpeg_pid;
  return typeof pid === "number" && Number.isInteger(pid) && pid > 1 ? pid : undefined;
}

/**
 * Kills the ffmpeg a dead encoder left behind. Call only when that encoder is known dead (this
 * process holds its lock, or just SIGKILLed it). Returns whether a process was killed.
 */
export async function stopOrphanFfmpeg(pid: number): Promise<boolean> {
  if (!(await findExecutable("ionice"))) return false;
  const probe = await runCommand("ionice", ["-p", String(pid)]);
  if (probe.code !== 0 || probe.stdout.trim() !== "idle") return false;
  await signalPid(pid, "SIGCONT");
  const killed = await signalPid(pid, "SIGKILL");
  if (killed) log.warn("Killed ffmpeg (pid {pid}) left behind by a killed encoder", { pid });
  return killed;
}
