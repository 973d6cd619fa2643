/**
 * Wires the real encoder together for `encode-daemon run`: the single-instance lock, clamped
 * settings, the pause controller on the runtime dir, ffmpeg under nice/ionice, the status file.
 * The loop itself is {@link EncodeDaemon}; this file only assembles and tears down.
 */
import { getLogger } from "@logtape/logtape";
import type { Config } from "../config/config.ts";
import { findLowPriorityTools, requireTools } from "../proc/which.ts";
import { acquireDaemon, readDaemonState } from "../state/daemon_state.ts";
import { ensurePrivateDirs } from "../state/private_dirs.ts";
import { jobsDir } from "../state/job_queue.ts";
import { ensureRuntimeDir } from "../state/runtime_dir.ts";
import { systemClock } from "../util/clock.ts";
import { freeBytes } from "../util/disk_space.ts";
import { EncodeDaemon, type EncodeDaemonSummary } from "./encode_daemon.ts";
import { resolveEncodeSettings } from "./encode_settings.ts";
import { ffmpegPidOf, stopOrphanFfmpeg } from "./orphan_ffmpeg.ts";
import { PauseController, recordingsCapturing } from "./pause_controller.ts";
import { watchDirectory } from "../util/watch_directory.ts";
import { transcodeFile } from "./transcode_file.ts";
import { afterEncode } from "../upload/after_encode.ts";
import { ConfigWatch } from "../config/config_watch.ts";
import { notify } from "../notify/notify.ts";

const log = getLogger(["twitchtool", "encode"]);

/**
 * What the encoder cannot change while it runs: its folders and locks, the pause rule's slot
 * count, the free-space floor and the notifier. `[encode_daemon]` applies from the next job.
 */
export const ENCODER_FIXED_KEYS = ["paths.", "limits.", "storage.", "notify."];

/** Runs the encoder daemon until `signal` aborts (or the queue is empty with `exitWhenEmpty`). */
export async function serveEncoder(
  config: Config,
  options: {
    exitWhenEmpty: boolean;
    /** Reads the config again as the command did, for a reload (file changed, or SIGHUP). */
    reload?: () => Promise<Config>;
    /** Hands over the function a SIGHUP should call. */
    onReloadRequest?: (reload: () => void) => void;
  },
  signal: AbortSignal,
): Promise<EncodeDaemonSummary> {
  await requireTools(["ffmpeg", "ffprobe"]);
  await ensurePrivateDirs(config.paths);
  const handle = await acquireDaemon(config.paths.stateDir, "encoder");
  try {
    const previous = await readDaemonState(config.paths.stateDir, "encoder");
    const orphan = ffmpegPidOf(previous.status);
    if (orphan !== undefined) await stopOrphanFfmpeg(orphan);

    const { settings, warnings } = resolveEncodeSettings(config.encodeDaemon, config.origins);
    for (const warning of warnings) log.warn(warning);
    const watch = await ConfigWatch.start(config, {
      load: options.reload ?? (() => Promise.resolve(config)),
      fixed: ENCODER_FIXED_KEYS,
      clock: systemClock,
      applied: (next) => {
        for (const warning of resolveEncodeSettings(next.encodeDaemon, next.origins).warnings) {
          log.warn(warning);
        }
      },
      refused: (path, error) => notify({ event: "config_refused", path, error }),
    });
    options.onReloadRequest?.(() => void watch.check(true));
    const currentSettings = async () => {
      await watch.check();
      const current = watch.current;
      return resolveEncodeSettings(current.encodeDaemon, current.origins).settings;
    };
    const runtimeDir = config.paths.runtimeDir;
    await ensureRuntimeDir(runtimeDir);
    const lowPriority = await findLowPriorityTools();
    const pause = new PauseController({
      isCapturing: recordingsCapturing(runtimeDir, config.limits.recordLimit),
      changes: (watchSignal) => watchDirectory(runtimeDir, watchSignal),
      // Only called once the daemon runs, after `daemon` below is initialized.
      onChange: () => daemon.onPauseChange(),
    });
    const daemon = new EncodeDaemon(
      {
        queueDir: config.paths.queueDir,
        settings,
        diskFreeMinBytes: config.storage.diskFreeMinBytes,
        exitWhenEmpty: options.exitWhenEmpty,
      },
      {
        clock: systemClock,
        writeStatus: (status) => handle.writeStatus({ ...status, config: watch.state }),
        transcode: transcodeFile,
        pause,
        lowPriority,
        freeBytes,
        queueChanges: (watchSignal) => watchDirectory(jobsDir(config.paths.queueDir), watchSignal),
        onEncoded: (input, output) => afterEncode(config, input, output),
        currentSettings,
      },
    );
    log.info("Encoder started (pid {pid}), queue {queueDir}", {
      pid: Deno.pid,
      queueDir: config.paths.queueDir,
      settings,
      lowPriority,
    });
    const summary = await daemon.run(signal);
    log.info("Encoder stopped: {done} encoded, {failed} failed", { ...summary });
    return summary;
  } finally {
    await handle.release();
  }
}
