import assert from "node:assert/strict";
import {
  encodeArgs,
  fmp4ToMpegtsArgs,
  liveFmp4Args,
  moovReserveForSamples,
  pipeRemuxArgs,
} from "./ffmpeg_args.ts";

Deno.test("pipeRemuxArgs() reads the parts from stdin and reserves room for the moov when asked", () => {
  const once = pipeRemuxArgs("mpegts", "/t/out.mp4.partial", "mp4", { reserveMoovBytes: 1000 });
  assert.deepEqual(once.slice(once.indexOf("-f"), once.indexOf("-f") + 4), [
    "-f",
    "mpegts",
    "-i",
    "pipe:0",
  ]);
  assert.ok(once.includes("-moov_size") && !once.includes("+faststart"));
  const twice = pipeRemuxArgs("mp4", "/t/out.mp4.partial", "mp4", { hevc: true });
  assert.ok(twice.includes("+faststart") && !twice.includes("-moov_size"));
  assert.equal(twice[twice.indexOf("-tag:v") + 1], "hvc1");
  const ts = pipeRemuxArgs("mpegts", "/t/out.ts.partial", "mpegts", { reserveMoovBytes: 1 });
  assert.ok(!ts.includes("-moov_size") && !ts.includes("+faststart"));
});

Deno.test("liveFmp4Args() writes fragmented MP4 from MPEG-TS on stdin, the index up front and empty", () => {
  const args = liveFmp4Args("/t/b.live.mp4", { hevc: true });
  assert.equal(
    args[args.indexOf("-movflags") + 1],
    "+frag_keyframe+empty_moov+delay_moov+default_base_moof",
  );
  assert.ok(!args.includes("+faststart") && !args.includes("-moov_size"));
  assert.equal(args[args.indexOf("-bsf:a") + 1], "aac_adtstoasc");
  assert.equal(args[args.indexOf("-tag:v") + 1], "hvc1");
  assert.deepEqual(args.slice(args.indexOf("-i") - 2, args.indexOf("-i") + 2), [
    "-f",
    "mpegts",
    "-i",
    "pipe:0",
  ]);
  assert.deepEqual(args.slice(-4), ["-f", "mp4", "-y", "/t/b.live.mp4"]);
});

Deno.test("moovReserveForSamples() grows with the samples and covers what ffmpeg measured", () => {
  assert.equal(moovReserveForSamples(0), 256 * 1024);
  // ffmpeg wrote a 56,373-byte moov for 60 s of 30 fps video + 44.1 kHz AAC (4,384 samples).
  assert.ok(moovReserveForSamples(4384) > 56_373);
});

Deno.test("encodeArgs() scales down to the height but never up", () => {
  const args = encodeArgs({
    input: "/in.mp4",
    output: "/out.mp4",
    videoCodec: "libx264",
    preset: "fast",
    crf: 26,
    threads: 0,
    height: 720,
    fps: "auto",
    audioBitrate: "128k",
    loglevel: "error",
  });
  assert.equal(args[args.indexOf("-vf") + 1], "scale=-2:'min(720,trunc(ih/2)*2)'");
});

Deno.test("pipeRemuxArgs() keeps every packet of fMP4 rewrapped as MPEG-TS; fmp4ToMpegtsArgs() keeps each run's times", () => {
  const flags = (args: string[]) => args[args.indexOf("-fflags") + 1];
  assert.equal(flags(pipeRemuxArgs("mpegts", "/t/o.mp4", "mp4")), "+genpts+discardcorrupt");
  assert.equal(flags(pipeRemuxArgs("mpegts", "/t/o.mp4", "mp4", { rewrapped: true })), "+genpts");
  const rewrap = fmp4ToMpegtsArgs();
  assert.ok(rewrap.includes("-copyts"));
  assert.ok(rewrap.indexOf("-ignore_editlist") < rewrap.indexOf("-i"), "an input option");
});
