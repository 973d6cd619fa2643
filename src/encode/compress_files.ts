/**
 * Assembles `tscompress` for the CLI: inputs expanded, settings clamped, ffmpeg at low priority
 * and paused while a recording captures (the same rule as the daemon: a manual batch must not
 * cost a live recording its CPU either).
 */
import { getLogger } from "@logtape/logtape";
import type { Config } from "../config/config.ts";
import { findExecutable, requireTools } from "../proc/which.ts";
import { ensureRuntimeDir } from "../state/runtime_dir.ts";
import { resolveEncodeSettings } from "./encode_settings.ts";
import { expandInputs } from "./expand_inputs.ts";
import { PauseController, recordingsCapturing } from "./pause_controller.ts";
import { watchDirectory } from "../util/watch_directory.ts";
import { runTscompress, type TscompressEvent, type TscompressResult } from "./tscompress.ts";

const log = getLogger(["twitchtool", "encode"]);

/** What the user asked for. */
export interface CompressFilesRequest {
  readonly inputs: readonly string[];
  readonly cwd: string;
  readonly outputDir?: string;
  readonly overwrite: boolean;
  readonly deleteTsAfterRemux: boolean;
  readonly deleteInputOnSuccess: boolean;
}

/** Results per file plus the arguments that matched nothing. */
export interface CompressFilesOutcome {
  readonly results: TscompressResult[];
  readonly missing: string[];
}

/** Runs `tscompress` with the config's encoder settings. */
export async function compressFiles(
  config: Config,
  request: CompressFilesRequest,
  onEvent: (event: TscompressEvent) => void,
  signal: AbortSignal,
): Promise<CompressFilesOutcome> {
  await requireTools(["ffmpeg", "ffprobe"]);
  const { settings, warnings } = resolveEncodeSettings(config.encodeDaemon, config.origins);
  for (const warning of warnings) log.warn(warning);
  const { files, missing } = await expandInputs(request.inputs, request.cwd);
  for (const arg of missing) log.error("No such file, folder or match: {arg}", { arg });
  if (request.outputDir) await Deno.mkdir(request.outputDir, { recursive: true });

  const runtimeDir = config.paths.runtimeDir;
  await ensureRuntimeDir(runtimeDir);
  const watching = new AbortController();
  const stopWatching = () => watching.abort();
  signal.addEventListener("abort", stopWatching, { once: true });
  const pause = new PauseController({
    isCapturing: recordingsCapturing(runtimeDir, config.limits.recordLimit),
    changes: (watchSignal) => watchDirectory(runtimeDir, watchSignal),
  });
  const pausing = pause.run(watching.signal);
  try {
    const results = await runTscompress(
      {
        files,
        settings,
        overwrite: request.overwrite,
        deleteTsAfterRemux: request.deleteTsAfterRemux,
        deleteInputOnSuccess: request.deleteInputOnSuccess,
        diskFreeMinBytes: config.storage.diskFreeMinBytes,
        ...(request.outputDir ? { outputDir: request.outputDir } : {}),
      },
      {
        lowPriority: {
          nice: (await findExecutable("nice")) !== undefined,
          ionice: (await findExecutable("ionice")) !== undefined,
        },
        pause,
        onEvent,
      },
      signal,
    );
    return { results, missing };
  } finally {
    watching.abort();
    signal.removeEventListener("abort", stopWatching);
    await pausing;
  }
}
