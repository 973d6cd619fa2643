/**
 * `encode-daemon stop`: SIGTERM (the encoder continues a paused ffmpeg itself, stops it and
 * re-queues its job), wait, and with `force` SIGKILL. A SIGKILLed encoder cannot clean up, so
 * its ffmpeg is killed here too rather than left running (or stopped) forever.
 */
import { stopDaemon, type StopResult } from "../proc/stop_daemon.ts";
import { readDaemonState } from "../state/daemon_state.ts";
import { ffmpegPidOf, stopOrphanFfmpeg } from "./orphan_ffmpeg.ts";

/** Result of {@link stopEncoder}. */
export interface StopEncoderResult {
  readonly result: StopResult;
  /** The encoder's pid when it was running. */
  readonly pid: number | null;
}

/** Stops the running encoder, if any. */
export async function stopEncoder(
  stateDir: string,
  options: { timeoutMs: number; force: boolean },
): Promise<StopEncoderResult> {
  const before = await readDaemonState(stateDir, "encoder");
  const result = await stopDaemon(stateDir, "encoder", options);
  if (result === "killed") {
    const after = await readDaemonState(stateDir, "encoder");
    const ffmpeg = ffmpegPidOf(after.status);
    if (ffmpeg !== undefined) await stopOrphanFfmpeg(ffmpeg);
  }
  return { result, pid: before.pid };
}
