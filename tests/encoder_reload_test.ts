/**
 * End-to-end: the encoder daemon re-reads config.toml on SIGHUP (and when it changes) before
 * each job: a broken file is refused and said in its status, a good one applies to the next job.
 * And an AV1 fMP4 recording (Twitch's enhanced broadcasting, reached with streamlink 8.0+'s
 * `--twitch-supported-codecs`) encodes like any other.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { collect, killLeftovers, makeSandbox, runCli, spawnCli } from "../testing/cli.ts";
import { ensureClip } from "../testing/clips.ts";
import { concatBytes } from "../testing/frames.ts";
import { measureContent } from "../src/proc/media_content.ts";
import { encoderStatus, makeClip, writeJob } from "../testing/encode_clips.ts";
import { eventually } from "../testing/eventually.ts";
import { isAlive } from "../testing/processes.ts";

/** The video height of `path`, by ffprobe. */
async function heightOf(path: string): Promise<number> {
  const output = await new Deno.Command("ffprobe", {
    args: [
      "-v",
      "error",
      "-select_streams",
      "v:0",
      "-show_entries",
      "stream=height",
      "-of",
      "csv=p=0",
      path,
    ],
    stdout: "piped",
  }).output();
  return Number(new TextDecoder().decode(output.stdout).trim());
}

Deno.test("encode-daemon: SIGHUP refuses a broken config (status says so) and applies a good one to the next job", async () => {
  await using sandbox = await makeSandbox();
  const leftovers = new Set<number>();
  const config = (height: string) =>
    `[paths]\nruntime_dir = "${sandbox.runtimeDir}"\n\n[storage]\ndisk_free_min_bytes = 1048576\n\n` +
    `[encode_daemon]\npreset = "ultrafast"\nvideo_codec = "libx264"\nheight = ${height}\n`;
  try {
    await sandbox.writeConfig(config("240"));
    const encoder = spawnCli(sandbox, ["encode-daemon", "run"]);
    leftovers.add(encoder.pid);
    const started = await eventually("the encoder's status", async () => {
      const status = await encoderStatus(sandbox);
      return status?.config ? status : undefined;
    });
    assert.equal(started.config!.in_force, true);

    await sandbox.writeConfig(config('"tall"'));
    Deno.kill(encoder.pid, "SIGHUP");
    // The status is rewritten at the encoder's next status write; a job makes one.
    await Deno.mkdir(sandbox.recordDir, { recursive: true });
    const first = await makeClip(join(sandbox.recordDir, "first.mp4"), { seconds: 2 });
    await writeJob(sandbox, "first.json", {
      input: first,
      output: join(sandbox.recordDir, "first_compressed.mp4"),
      created_at: "2024-01-01T00:00:00Z",
      delete_input_on_success: false,
    });
    const refused = await eventually("the broken config refused", async () => {
      const status = await encoderStatus(sandbox);
      return status?.config && !status.config.in_force ? status.config : undefined;
    }, 60_000);
    assert.match(refused.error!.message, /"encode_daemon\.height"/);
    assert.ok(await isAlive(encoder.pid), "SIGHUP does not end the encoder");
    await eventually(
      "the first job encoded",
      () =>
        Deno.stat(join(sandbox.recordDir, "first_compressed.mp4")).then(() => true, () => false),
      60_000,
    );
    assert.equal(await heightOf(join(sandbox.recordDir, "first_compressed.mp4")), 240);

    await sandbox.writeConfig(config("144"));
    Deno.kill(encoder.pid, "SIGHUP");
    const second = await makeClip(join(sandbox.recordDir, "second.mp4"), { seconds: 2 });
    await writeJob(sandbox, "second.json", {
      input: second,
      output: join(sandbox.recordDir, "second_compressed.mp4"),
      created_at: "2024-01-01T00:00:00Z",
      delete_input_on_success: false,
    });
    await eventually(
      "the second job encoded",
      () =>
        Deno.stat(join(sandbox.recordDir, "second_compressed.mp4")).then(() => true, () => false),
      60_000,
    );
    assert.equal(await heightOf(join(sandbox.recordDir, "second_compressed.mp4")), 144);
    const applied = await encoderStatus(sandbox);
    assert.equal(applied?.config?.in_force, true);

    encoder.kill("SIGTERM");
    assert.equal((await collect(encoder)).code, 0);
  } finally {
    killLeftovers(leftovers);
  }
});

Deno.test("encode-daemon encodes an AV1 fMP4 recording (enhanced broadcasting's codec) to H.264", async () => {
  await using sandbox = await makeSandbox();
  const clip = await ensureClip({ offset: 1000, seconds: 4, fmp4: true, codec: "av1" });
  await sandbox.writeConfig(
    `[paths]\nruntime_dir = "${sandbox.runtimeDir}"\n\n[storage]\ndisk_free_min_bytes = 1048576\n\n` +
      `[encode_daemon]\npreset = "ultrafast"\nvideo_codec = "libx264"\nheight = 144\n`,
  );
  await Deno.mkdir(sandbox.recordDir, { recursive: true });
  const input = join(sandbox.recordDir, "av1.mp4");
  await Deno.writeFile(input, concatBytes([clip.init!, ...clip.segments]));
  const output = join(sandbox.recordDir, "av1_compressed.mp4");
  await writeJob(sandbox, "av1.json", {
    input,
    output,
    created_at: "2024-01-01T00:00:00Z",
    delete_input_on_success: false,
  });
  const result = await runCli(sandbox, ["encode-daemon", "run", "--exit-when-empty"]);
  assert.equal(result.code, 0, result.stderr);
  const content = await measureContent(output);
  assert.equal(content?.video?.codec, "h264");
  // 4 s at 30 fps; a constant-rate output may hold the last frame once more.
  const packets = content?.video?.packets ?? 0;
  assert.ok(packets >= 120 && packets <= 121, `${packets} video packets`);
  assert.equal(await heightOf(output), 144);
});
