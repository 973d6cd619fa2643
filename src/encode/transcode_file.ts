/**
 * One ffmpeg run from an input file to a verified output file, shared by the daemon's encodes
 * and `tscompress`'s remux and encode steps. ffmpeg writes a hidden temporary file beside the
 * target, which is renamed to the final name only after ffmpeg exited 0 and ffprobe reads the
 * result with the input's duration, so a crash, a kill or a full disk never leaves a half file
 * under the final name.
 */
import { getLogger } from "@logtape/logtape";
import { basename, dirname, extname, join } from "node:path";
import { lowPriorityCommand, type LowPriorityTools } from "../proc/ffmpeg_args.ts";
import { type MediaInfo, probeMedia } from "../proc/ffprobe.ts";
import { type Child, spawnChild, stopChild } from "../proc/spawn.ts";
import { removeIfExists, syncDirectory } from "../state/atomic_write.ts";
import type { PauseController } from "./pause_controller.ts";
import { ProgressParser, type ProgressSnapshot } from "./progress_parser.ts";

const log = getLogger(["twitchtool", "encode"]);

/** Starts a child process; {@link spawnChild} unless a test injects another. */
export type Spawner = typeof spawnChild;

/** Reads a media file; {@link probeMedia} unless a test injects another. */
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

/** Shortest output accepted for an input of `inputSeconds`: a little slack for edge frames. */
export function minimumDuration(inputSeconds: number): number {
  return inputSeconds - Math.max(1.5, inputSeconds * 0.02);
}

/** Runs ffmpeg for `request` and installs the verified result under its final name. */
export async function transcodeFile(
  request: TranscodeRequest,
  options: TranscodeOptions,
): Promise<TranscodeResult> {
  const probe = options.probe ?? probeMedia;
  const spawn = options.spawn ?? spawnChild;
  if (options.signal?.aborted) return { status: "aborted" };
  const source = await probe(request.input);
  if (!source) {
    return { status: "failed", reason: `Cannot read input "${request.input}" as media` };
  }
  const temporary = partialPath(request.output);
  await Deno.mkdir(dirname(request.output), { recursive: true });
  await removeIfExists(temporary);

  const parser = new ProgressParser(source.duration);
  const stderrTail: string[] = [];
  const { command, args } = lowPriorityCommand(
    "ffmpeg",
    request.args(temporary),
    options.lowPriority,
  );
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
    const result = await probe(temporary);
    if (!result) {
      return { status: "failed", reason: `ffmpeg wrote an unreadable file "${temporary}"` };
    }
    if (result.duration < minimumDuration(source.duration)) {
      return {
        status: "failed",
        reason: `Output lasts ${result.duration.toFixed(1)} s but input "${request.input}" lasts ${
          source.duration.toFixed(1)
        } s`,
      };
    }
    await syncFile(temporary);
    await options.beforeInstall?.(temporary);
    await Deno.rename(temporary, request.output);
    await syncDirectory(dirname(request.output));
    return { status: "done", output: request.output, duration: result.duration };
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    await removeIfExists(temporary).catch(() => false);
  }
}

async function syncFile(path: string): Promise<void> {
  const file = await Deno.open(path, { read: true });
  try {
    await file.sync();
  } finally {
    file.close();
  }
}
