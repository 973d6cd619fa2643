import assert from "node:assert/strict";
import { encodeArgs, lowPriorityCommand, remuxArgs } from "../proc/ffmpeg_args.ts";
import { resolveEncodeSettings } from "./encode_settings.ts";

const base = {
  preset: "medium",
  crf: 26,
  threads: 1,
  height: 480,
  fps: "auto",
  loglevel: "error",
  videoCodec: "libx265",
  audioBitrate: "128k",
} as const;

/** The value following `flag` in `args`. */
function valueOf(args: readonly string[], flag: string): string | undefined {
  const index = args.indexOf(flag);
  return index < 0 ? undefined : args[index + 1];
}

Deno.test("resolveEncodeSettings() keeps in-range values without warnings", () => {
  const { settings, warnings } = resolveEncodeSettings(base);
  assert.deepEqual(warnings, []);
  assert.deepEqual(settings, base);
});

Deno.test("resolveEncodeSettings() clamps crf, threads and height with a warning each", () => {
  const { settings, warnings } = resolveEncodeSettings({
    ...base,
    crf: 60,
    threads: -3,
    height: 4000,
  });
  assert.equal(settings.crf, 51);
  assert.equal(settings.threads, 0);
  assert.equal(settings.height, 2160);
  assert.equal(warnings.length, 3);
  assert.match(warnings[0]!, /"encode_daemon.crf" 60 is outside 0-51: using 51/);
  const low = resolveEncodeSettings({ ...base, height: 100, threads: 99 });
  assert.equal(low.settings.height, 144);
  assert.equal(low.settings.threads, 64);
});

Deno.test("resolveEncodeSettings() names the flag, variable or file line a clamped value came from", () => {
  const { warnings } = resolveEncodeSettings({ ...base, crf: 99, threads: 99, height: 721 }, {
    "encode_daemon.crf": { source: "cli", label: "--crf" },
    "encode_daemon.threads": { source: "env", label: "ENCODER_THREADS" },
    "encode_daemon.height": { source: "file", label: "/c.toml:7" },
  });
  assert.deepEqual(warnings, [
    "--crf 99 is outside 0-51: using 51",
    "environment variable ENCODER_THREADS=99 is outside 0-64: using 64",
    '"encode_daemon.height" = 721 in config "/c.toml:7" is odd: using 720',
  ]);
});

Deno.test("resolveEncodeSettings() makes an odd height even", () => {
  const { settings, warnings } = resolveEncodeSettings({ ...base, height: 721 });
  assert.equal(settings.height, 720);
  assert.match(warnings[0]!, /odd/);
});

Deno.test("encodeArgs() scales to an even width, keeps fps on auto, limits x265 threads", () => {
  const args = encodeArgs({ ...base, input: "/in.mp4", output: "/.out.partial.mp4" });
  assert.equal(valueOf(args, "-vf"), "scale=-2:'min(480,trunc(ih/2)*2)'");
  assert.equal(valueOf(args, "-c:v"), "libx265");
  assert.equal(valueOf(args, "-preset"), "medium");
  assert.equal(valueOf(args, "-crf"), "26");
  assert.equal(valueOf(args, "-threads"), "1");
  assert.equal(valueOf(args, "-x265-params"), "log-level=error:pools=1");
  assert.equal(valueOf(args, "-c:a"), "aac");
  assert.equal(valueOf(args, "-b:a"), "128k");
  assert.equal(valueOf(args, "-movflags"), "+faststart");
  assert.equal(valueOf(args, "-progress"), "pipe:1");
  assert.ok(args.includes("-nostats"));
  assert.equal(valueOf(args, "-i"), "/in.mp4");
  assert.equal(args.at(-1), "/.out.partial.mp4");
});

Deno.test("encodeArgs() adds an fps filter when forced and no x265 params for x264", () => {
  const args = encodeArgs({
    ...base,
    fps: "30000/1001",
    videoCodec: "libx264",
    threads: 0,
    input: "/in.mp4",
    output: "/o.mp4",
  });
  assert.equal(valueOf(args, "-vf"), "scale=-2:'min(480,trunc(ih/2)*2)',fps=30000/1001");
  assert.equal(valueOf(args, "-threads"), "0");
  assert.equal(args.includes("-x265-params"), false);
});

Deno.test("remuxArgs() copies video and audio into MP4 with faststart", () => {
  const args = remuxArgs("/r.ts", "/.r.partial.mp4", "error");
  assert.equal(valueOf(args, "-c"), "copy");
  assert.equal(valueOf(args, "-movflags"), "+faststart");
  assert.equal(valueOf(args, "-f"), "mp4");
  assert.equal(args.at(-1), "/.r.partial.mp4");
});

Deno.test("lowPriorityCommand() prefixes nice and ionice only when present", () => {
  assert.deepEqual(lowPriorityCommand("ffmpeg", ["-i", "x"], { nice: true, ionice: true }), {
    command: "nice",
    args: ["-n", "19", "ionice", "-c3", "ffmpeg", "-i", "x"],
  });
  assert.deepEqual(lowPriorityCommand("ffmpeg", ["-i", "x"], { nice: false, ionice: true }), {
    command: "ionice",
    args: ["-c3", "ffmpeg", "-i", "x"],
  });
  assert.deepEqual(lowPriorityCommand("ffmpeg", ["-i"], { nice: false, ionice: false }), {
    command: "ffmpeg",
    args: ["-i"],
  });
});
