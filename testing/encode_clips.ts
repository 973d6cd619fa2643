/**
 * Helpers for the encoder's end-to-end tests: short clips made by ffmpeg, a config for the
 * sandbox, job files, JSON log parsing and the kernel's view of a process (`/proc/<pid>/stat`).
 */
import { join } from "node:path";
import type { EncoderStatus } from "../src/state/daemon_status.ts";
import type { Sandbox } from "./cli.ts";
import { testPatternInputArgs } from "./test_pattern.ts";

/** Makes a test clip: `testsrc2` video with a sine tone, H.264 + AAC. */
export async function makeClip(
  path: string,
  options: { seconds: number; width?: number; height?: number; fps?: number; ts?: boolean },
): Promise<string> {
  const size = `${options.width ?? 1280}x${options.height ?? 720}`;
  const output = await new Deno.Command("ffmpeg", {
    args: [
      ...testPatternInputArgs({
        size: size,
        fps: options.fps ?? 25,
        sampleRate: 44100,
        seconds: options.seconds,
      }),
      "-c:v",
      "libx264",
      "-preset",
      "ultrafast",
      "-pix_fmt",
      "yuv420p",
      "-c:a",
      "aac",
      "-f",
      options.ts ? "mpegts" : "mp4",
      path,
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!output.success) throw new Error(new TextDecoder().decode(output.stderr));
  return path;
}

/** Writes the sandbox config: its runtime dir, a small disk minimum, fast encodes. */
export async function writeEncoderConfig(sb: Sandbox, preset = "ultrafast"): Promise<void> {
  await sb.writeConfig(`# test config
[paths]
runtime_dir = "${sb.runtimeDir}"

[storage]
disk_free_min_bytes = 1048576

[encode_daemon]
preset = "${preset}"
`);
}

/** Writes a job file as `record` would (or in any shape, for legacy and corrupt jobs). */
export async function writeJob(sb: Sandbox, name: string, job: unknown): Promise<string> {
  await Deno.mkdir(sb.jobsDir, { recursive: true });
  const path = join(sb.jobsDir, name);
  await Deno.writeTextFile(path, typeof job === "string" ? job : JSON.stringify(job));
  return path;
}

/** A log record of `--json-logs`. */
export interface LogRecord {
  readonly level: string;
  readonly message: string;
  readonly properties: Record<string, unknown>;
}

/** Parses `--json-logs` stderr, ignoring any line that is not JSON. */
export function parseLogs(stderr: string): LogRecord[] {
  const records: LogRecord[] = [];
  for (const line of stderr.split("\n")) {
    try {
      records.push(JSON.parse(line));
    } catch {
      // Not a log record.
    }
  }
  return records;
}

/** The encoder status file, if written. */
export async function encoderStatus(
  sb: Sandbox,
): Promise<(EncoderStatus & { pid: number; updated_at: string }) | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(join(sb.stateDir, "encoder.status.json")));
  } catch {
    return undefined;
  }
}

/** File names in `dir` that look like temporary encoder outputs. */
export async function partials(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.includes(".partial.")) found.push(entry.name);
  }
  return found;
}
