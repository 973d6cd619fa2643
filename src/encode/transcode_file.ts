/**
 * One ffmpeg run from an input file to a verified output file, shared by the daemon's encodes
 * and `tscompress`'s remux and encode steps. ffmpeg writes a hidden temporary file beside the
 * target, which is renamed to the final name only after ffmpeg exited 0 and ffprobe reads the
 * result holding what the input held (measured from packets), so a crash, a kill or a full disk never leaves a half file
 * under the final name.
 */
import { getLogger } from "@logtape/logtape";
import { basename, dirname, extname, join } from "node:path";
import { lowPriorityCommand, type LowPriorityTools } from "../proc/ffmpeg_args.ts";
import type { MediaInfo } from "../proc/ffprobe.ts";
import { copyProblems, measureContent } from "../proc/media_content.ts";
import { type Child, spawnChild, stopChild } from "../proc/spawn.ts";
import { removeIfExists, syncDirectory } from "../state/atomic_write.ts";
import type { PauseController } from "./pause_controller.ts";
import { ProgressParser, type ProgressSnapshot } from "./progress_parser.ts";

const log = getLogger(["twitchtool", "encode"]);

/** Starts a child process; {@link spawnChild} unless a test injects another. */
export type Spawner = typeof spawnChild;

/** Reads a media file; {@link measureContent} (by its packets) unless a test injects another. */
export type Prober = (path: string) => Promise<MediaInfo | undefined>;

/** What to produce. */
export interface TranscodeRequest {
  readonly input: string;
  /** The final name; only ever created by a rename of the verified temporary file. */
  readonly output: string;
  /** ffmpeg arguments writing to `temporary` (see `src/proc/ffmpeg_args.ts`). */
  readonly args: (temporary: string) => string[];
}

/** The machinery around one run. */
export interface TranscodeOptions {
  readonly lowPriority: LowPriorityTools;
  readonly spawn?: Spawner;
  readonly probe?: Prober;
  /** Stops the child while a recording captures. */
  readonly pause?: PauseController;
  /** Shutdown: the child is continued, stopped and its temporary file removed. */
  readonly signal?: AbortSignal;
  readonly onStart?: (child: Child) => void;
  readonly onProgress?: (progress: ProgressSnapshot) => void;
  /** Runs once the temporary file is verified and synced, just before it gets its final name. */
  readonly beforeInstall?: (temporary: string) => Promise<void>;
}

/** How a run ended. */
export type TranscodeResult =
  | { readonly status: "done"; readonly output: string; readonly duration: number }
  | { readonly status: "failed"; readonly reason: string }
  | { readonly status: "aborted" };

/** Hidden temporary name beside `output`: `dir/.<name>.partial.mp4`. */
export function partialPath(output: string): string {
  const name = basename(output, extname(output));
  return join(dirname(output), `.${name}.partial.mp4`);
}

/** Runs ffmpeg for `request` and installs the verified result under its final name. */
export async function transcodeFile(
  request: TranscodeRequest,
  options: TranscodeOptions,
): Promise<TranscodeResult> {
  const probe = options.probe ?? measureContent;
  if (options.signal?.aborted) return { status: "aborted" };
  const source = await probe(request.input);
  if (!source) {
    return { status: "failed", reason: `Cannot read input "${request.input}" as media` };
  }
  const temporary = partialPath(request.output);
  await Deno.mkdir(dirname(request.output), { recursive: true });
  await removeIfExists(temporary);

  const { child, stderrTail } = startFfmpeg(request.args(temporary), source.duration, options);
  let onAbort = () => {};
  const abort = new Promise<"aborted">((resolve) => {
    onAbort = () => resolve("aborted");
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener("abort", onAbort, { once: true });
  });
  try {
    await options.pause?.attach(child);
    const ended = await Promise.race([child.exited, abort]);
    if (ended === "aborted") {
      options.pause?.detach();
      await stopChild(child, { first: "SIGTERM", graceMs: 2000 });
      return { status: "aborted" };
    }
    options.pause?.detach();
    // Ctrl-C reaches ffmpeg too (same process group): an interrupted run is not a failed job.
    if (options.signal?.aborted) return { status: "aborted" };
    if (ended.code !== 0) {
      const how = ended.signal ? `was killed by ${ended.signal}` : `exited with ${ended.code}`;
      const detail = stderrTail.length ? `: ${stderrTail.join(" | ")}` : "";
      return { status: "failed", reason: `ffmpeg ${how}${detail}` };
    }
    return await verifyAndInstall(request, temporary, source, probe, options);
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    await removeIfExists(temporary).catch(() => false);
  }
}

/**
 * Starts ffmpeg (at low priority when asked) writing `args`' output, feeding its `-progress`
 * lines to `onProgress` and keeping the last lines of its stderr for the failure message.
 */
function startFfmpeg(
  ffmpegArgs: string[],
  duration: number | null,
  options: TranscodeOptions,
): { child: Child; stderrTail: string[] } {
  const spawn = options.spawn ?? spawnChild;
  const parser = new ProgressParser(duration);
  const stderrTail: string[] = [];
  const { command, args } = lowPriorityCommand("ffmpeg", ffmpegArgs, options.lowPriority);
  log.debug("Running {command} {args}", { command, args });
  const child = spawn(command, args, {
    stdout: {
      lines: (line) => {
        const snapshot = parser.push(line);
        if (snapshot) options.onProgress?.(snapshot);
      },
    },
    stderr: {
      lines: (line) => {
        stderrTail.push(line);
        if (stderrTail.length > 12) stderrTail.shift();
        log.debug("ffmpeg: {line}", { line, pid: child.pid });
      },
    },
  });
  options.onStart?.(child);
  return { child, stderrTail };
}

/** Checks ffmpeg's output against the input (every stream, all of it), then renames it in place. */
async function verifyAndInstall(
  request: TranscodeRequest,
  temporary: string,
  source: MediaInfo,
  probe: Prober,
  options: TranscodeOptions,
): Promise<TranscodeResult> {
  const result = await probe(temporary);
  if (!result) {
    return { status: "failed", reason: `ffmpeg wrote an unreadable file "${temporary}"` };
  }
  const problems = copyProblems(source, result);
  if (problems.length > 0) {
    return {
      status: "failed",
      reason: `Output of "${request.input}" is incomplete: ${problems.join("; ")}`,
    };
  }
  await syncFile(temporary);
  await options.beforeInstall?.(temporary);
  await Deno.rename(temporary, request.output);
  await syncDirectory(dirname(request.output));
  return { status: "done", output: request.output, duration: result.duration };
}

async function syncFile(path: string): Promise<void> {
  const file = await Deno.open(path, { read: true });
  try {
    await file.sync();
  } finally {
    file.close();
  }
}
