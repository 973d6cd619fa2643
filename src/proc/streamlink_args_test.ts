import assert from "node:assert/strict";
import {
  captureArgs,
  codecArgs,
  LIVE_CAPTURE_DEFAULTS,
  maskSecrets,
  redactArgs,
  splitSecretArgs,
  streamUrl,
  unmaskedOutputLoglevel,
  vodFetchArgs,
} from "./streamlink_args.ts";

Deno.test("captureArgs() puts user extra_args after the live defaults so they win", () => {
  const args = captureArgs({
    url: "https://twitch.tv/alice",
    quality: "best",
    output: "/tmp/a_part01.ts",
    loglevel: "error",
    extraArgs: ["--stream-segment-timeout", "5"],
  });
  assert.deepEqual(args.slice(0, 4), ["--loglevel", "error", "--output", "/tmp/a_part01.ts"]);
  assert.deepEqual(args.slice(-2), ["https://twitch.tv/alice", "best"]);
  const defaultsAt = args.indexOf(LIVE_CAPTURE_DEFAULTS[0]!);
  const extraAt = args.lastIndexOf("--stream-segment-timeout");
  assert.ok(defaultsAt < extraAt);
});

Deno.test("captureArgs() starts at the oldest segment of the live window only when asked", () => {
  const spec = {
    url: "https://twitch.tv/alice",
    quality: "best",
    output: "/tmp/a_part01.ts",
    loglevel: "error",
    extraArgs: ["--twitch-disable-ads"],
  };
  assert.ok(!captureArgs(spec).includes("--hls-live-restart"));
  const args = captureArgs({ ...spec, fromWindowStart: true });
  assert.ok(args.indexOf("--hls-live-restart") < args.indexOf("--twitch-disable-ads"));
});

Deno.test("streamUrl() replaces every {user}", () => {
  assert.equal(streamUrl("hls://h/live/{user}/{user}.m3u8", "bob"), "hls://h/live/bob/bob.m3u8");
});

Deno.test("redactArgs() hides OAuth headers from logs", () => {
  assert.deepEqual(
    redactArgs(["--twitch-api-header", "Authorization=OAuth abc123", "--loglevel", "error"]),
    ["--twitch-api-header", "Authorization=***", "--loglevel", "error"],
  );
  assert.deepEqual(redactArgs(["--http-header", "X=1"]), ["--http-header", "X=***"]);
});

Deno.test("splitSecretArgs() takes header, cookie and token options off the command line", () => {
  const split = splitSecretArgs([
    "--twitch-disable-ads",
    "--twitch-api-header",
    "Authorization=OAuth abc123def",
    "--stream-timeout",
    "3",
    "--http-cookie=session=s3cr3tvalue",
  ]);
  assert.deepEqual(split.visible, ["--twitch-disable-ads", "--stream-timeout", "3"]);
  assert.equal(split.at, 1);
  assert.deepEqual(split.secretLines, [
    "twitch-api-header=Authorization=OAuth abc123def",
    "http-cookie=session=s3cr3tvalue",
  ]);
  assert.deepEqual(split.secrets, ["OAuth abc123def", "abc123def", "s3cr3tvalue"]);
  assert.deepEqual(splitSecretArgs(["--loglevel", "debug"]).secretLines, []);
});

Deno.test("maskSecrets() hides every occurrence, longest first", () => {
  const line = "--twitch-api-header=[('Authorization', 'OAuth abc123def')] token abc123def";
  assert.equal(
    maskSecrets(line, ["abc123def", "OAuth abc123def"]),
    "--twitch-api-header=[('Authorization', '***')] token ***",
  );
});

Deno.test("unmaskedOutputLoglevel() keeps a detached streamlink below the levels that echo secrets", () => {
  assert.equal(unmaskedOutputLoglevel("debug", true), "info");
  assert.equal(unmaskedOutputLoglevel("TRACE", true), "info");
  assert.equal(unmaskedOutputLoglevel("all", true), "info");
  assert.equal(unmaskedOutputLoglevel("debug", false), "debug", "nothing secret to echo");
  assert.equal(unmaskedOutputLoglevel("warning", true), "warning");
});

Deno.test("vodFetchArgs() fetches one stretch of a VOD with HH:MM:SS offsets", () => {
  const args = vodFetchArgs({
    url: "https://www.twitch.tv/videos/1",
    quality: "best",
    output: "/t/a.ts",
    startSeconds: 3725,
    durationSeconds: 95,
  });
  const at = (flag: string) => args[args.indexOf(flag) + 1];
  assert.equal(at("--hls-start-offset"), "01:02:05");
  assert.equal(at("--hls-duration"), "00:01:35");
  assert.equal(at("--output"), "/t/a.ts");
  assert.deepEqual(args.slice(-2), ["https://www.twitch.tv/videos/1", "best"]);
  assert.ok(!args.includes("--hls-live-restart"));
});

Deno.test("captureArgs() offers streamlink.supported_codecs to a streamlink 8.0 or newer only", () => {
  const spec = {
    url: "https://twitch.tv/alice",
    quality: "best",
    output: "/t/alice.ts",
    loglevel: "error",
    extraArgs: ["--twitch-low-latency"],
  };
  const debian = captureArgs({ ...spec, codecs: { list: "h264,h265", version: [5, 2, 1] } });
  assert.equal(debian.includes("--twitch-supported-codecs"), false);
  const eight = captureArgs({ ...spec, codecs: { list: "h264,h265,av1", version: [8, 0, 0] } });
  const at = eight.indexOf("--twitch-supported-codecs");
  assert.deepEqual(eight.slice(at, at + 3), [
    "--twitch-supported-codecs",
    "h264,h265,av1",
    "--twitch-low-latency",
  ]);
  assert.deepEqual(eight.slice(-2), ["https://twitch.tv/alice", "best"]);
  assert.deepEqual(codecArgs("h264,h265", [7, 9, 9]), []);
  assert.deepEqual(codecArgs("h264,h265", [9, 1, 0]), ["--twitch-supported-codecs", "h264,h265"]);
  assert.deepEqual(codecArgs("h264,h265", undefined), []);
});
