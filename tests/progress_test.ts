/**
 * End-to-end: the recorder and the encoder tell the user what is happening while they work,
 * in their own words, and a manual `record` keeps its log in `<logs_dir>/<user>.log`. The real
 * CLI with the binary's flags, without NO_COLOR, piped and on a pseudo-terminal.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { roleFlags } from "../src/permissions.ts";
import { collect, makeSandbox, runCli, runCliOnTerminal, spawnCli } from "../testing/cli.ts";
import { eventually } from "../testing/eventually.ts";
import { waitForState, withHlsServer } from "../testing/live.ts";
import { makeClip, writeEncoderConfig, writeJob } from "../testing/encode_clips.ts";

Deno.test("record logs its size and duration while capturing, a give-up countdown while waiting, and keeps a log file", async () => {
  await withHlsServer(async (server) => {
    await using sandbox = await makeSandbox({ urlTemplate: server.urlTemplate });
    server.goLive("carol");
    const recorder = spawnCli(sandbox, ["record", "carol", "--retry-window", "15"]);
    await waitForState(sandbox, "carol", "capturing");
    const logFile = join(sandbox.stateDir, "logs", "carol.log");
    await eventually("a progress line 5 s or more into the capture", async () => {
      const logged = await Deno.readTextFile(logFile).catch(() => "");
      return /Capturing "carol": .* [5-9]s so far/.test(logged);
    }, 60_000);
    server.end("carol");
    const result = await collect(recorder);
    assert.equal(result.code, 0, result.stderr);

    assert.match(
      result.stderr,
      /\[INF\] twitchtool·record: Capturing "carol": \d+(\.\d)? (KiB|MiB) in 1 part\(s\), [5-9]s so far/,
    );
    assert.match(
      result.stderr,
      /\[INF\] twitchtool·record: Waiting for "carol" to come back; giving up in \d+s \(retry_window 15s\)/,
    );
    assert.match(
      result.stderr,
      /Capture ended: the stream stayed offline for retry_window \(15s\); 1 part\(s\)/,
    );
    assert.doesNotMatch(result.stderr, /window-expired/);
    assert.doesNotMatch(
      result.stderr,
      /\[INF\] [^\n]*streamlink: "?(error|\[[^\]]+\]\[(error|warning)\])/,
    );

    const logged = await Deno.readTextFile(logFile);
    assert.match(logged, /^--- \S+ twitchtool record carol\n/);
    assert.match(logged, /Recording "carol" in slot 1/);
    assert.match(logged, /Capturing "carol": /);
    assert.match(logged, /Capture ended: /);
  });
});

Deno.test("record on a terminal: streamlink's errors are warnings and the countdown is shown", async () => {
  await withHlsServer(async (server) => {
    await using sandbox = await makeSandbox({ urlTemplate: server.urlTemplate });
    const result = await runCliOnTerminal(sandbox, [
      "record",
      "nobody_home",
      "--retry-window",
      "15",
    ]);
    assert.equal(result.code, 5, result.stdout);
    assert.match(result.stdout, /\[WRN\] twitchtool·record: streamlink: /);
    assert.match(result.stdout, /giving up in \d+s \(retry_window 15s\)/);
    assert.doesNotMatch(result.stdout, /window-expired|Deno requests/);
    const logged = await Deno.readTextFile(join(sandbox.stateDir, "logs", "nobody_home.log"));
    assert.match(logged, /Nothing captured for "nobody_home"/);
  });
});

Deno.test("encode-daemon logs percent, speed and time left while it encodes", async () => {
  await using sandbox = await makeSandbox();
  await writeEncoderConfig(sandbox);
  await Deno.mkdir(sandbox.recordDir, { recursive: true });
  const input = await makeClip(join(sandbox.recordDir, "long.mp4"), { seconds: 20 });
  await writeJob(sandbox, "a.json", {
    input,
    output: input.replace(".mp4", "_compressed.mp4"),
    created_at: new Date().toISOString(),
    delete_input_on_success: false,
  });
  const result = await runCli(sandbox, ["encode-daemon", "run", "--exit-when-empty"], {
    flags: roleFlags("encoder"),
  });
  assert.equal(result.code, 0, result.stderr);
  const lines = [
    ...result.stderr.matchAll(
      /\[INF\] twitchtool·encode: Progress "\S+long\.mp4": (\d+\.\d)%, [\d.]+x, about \w+ left/g,
    ),
  ];
  assert.ok(lines.length >= 1, result.stderr);
  const percents = lines.map((match) => Number(match[1]));
  assert.deepEqual(percents, [...percents].sort((a, b) => a - b), "percent only grows");
  const steps = percents.map((percent) => Math.floor(percent / 10));
  assert.equal(new Set(steps).size, steps.length, "at most one line per 10 % step");
});
