/** End-to-end tests of `tscompress` with real ffmpeg in an isolated HOME. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ffprobe, listDir, makeSandbox, runCli } from "../testing/cli.ts";
import { makeClip, partials, writeEncoderConfig } from "./encode_clips.ts";
import { canMountTmpfs, mountTmpfs } from "../testing/tmpfs.ts";

Deno.test("tscompress remuxes and encodes every .ts in a folder, reports a broken one, exits 1", async () => {
  await using sb = await makeSandbox();
  await writeEncoderConfig(sb);
  const dir = join(sb.home, "old-recordings");
  await Deno.mkdir(join(dir, "2024"), { recursive: true });
  await makeClip(join(dir, "first.ts"), { seconds: 2, ts: true });
  await makeClip(join(dir, "2024", "second.ts"), { seconds: 3, width: 854, height: 720, ts: true });
  await Deno.writeTextFile(join(dir, "broken.ts"), "not a transport stream");

  const result = await runCli(sb, ["tscompress", dir]);
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stdout, /3 input\(s\): 2 ok, 1 failed/);
  assert.match(result.stdout, /broken\.ts/);

  for (
    const [base, seconds] of [[join(dir, "first"), 2], [join(dir, "2024", "second"), 3]] as const
  ) {
    const remuxed = await ffprobe(`${base}.mp4`);
    assert.equal(remuxed.streams.find((s) => s.codec_type === "video")?.codec_name, "h264");
    assert.ok(Math.abs(remuxed.duration - seconds) < 0.5, `remux duration ${remuxed.duration}`);
    const encoded = await ffprobe(`${base}_compressed.mp4`);
    const video = encoded.streams.find((s) => s.codec_type === "video");
    assert.equal(video?.codec_name, "hevc");
    assert.equal(video?.height, 480);
    assert.equal((video?.width ?? 1) % 2, 0, `odd width ${video?.width}`);
    assert.ok(encoded.streams.some((s) => s.codec_type === "audio" && s.codec_name === "aac"));
    assert.ok(Math.abs(encoded.duration - seconds) < 0.5, `encode duration ${encoded.duration}`);
  }
  const names = await listDir(dir);
  assert.ok(!names.some((name) => name.startsWith("broken") && name !== "broken.ts"), names.join());
  assert.deepEqual(await partials(dir), []);
});

Deno.test("tscompress skips existing outputs, deletes .ts on request, --overwrite and --output-dir", async () => {
  await using sb = await makeSandbox();
  await writeEncoderConfig(sb);
  const dir = join(sb.home, "recs");
  await Deno.mkdir(dir);
  const ts = await makeClip(join(dir, "clip.ts"), { seconds: 2, ts: true });
  const first = await runCli(sb, ["tscompress", ts]);
  assert.equal(first.code, 0, first.stderr);
  const compressed = join(dir, "clip_compressed.mp4");
  const before = (await Deno.stat(compressed)).mtime?.getTime();

  const again = await runCli(sb, ["tscompress", "--delete-ts-after-remux", join(dir, "*.ts")]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /skipped/);
  assert.equal((await Deno.stat(compressed)).mtime?.getTime(), before, "not re-encoded");
  assert.deepEqual(await listDir(dir), ["clip.mp4", "clip_compressed.mp4"], "the .ts is gone");

  const out = join(sb.home, "out");
  const overwrite = await runCli(sb, [
    "tscompress",
    "--overwrite",
    "--height",
    "360",
    "--output-dir",
    out,
    join(dir, "clip.mp4"),
  ]);
  assert.equal(overwrite.code, 0, overwrite.stderr);
  const video = (await ffprobe(join(out, "clip_compressed.mp4"))).streams.find((s) =>
    s.codec_type === "video"
  );
  assert.equal(video?.height, 360);
  assert.deepEqual(await listDir(out), ["clip_compressed.mp4"]);
});

Deno.test("tscompress never deletes an input whose existing output is that input through a symlink", async () => {
  await using sb = await makeSandbox();
  await writeEncoderConfig(sb);
  const dir = join(sb.home, "recs");
  await Deno.mkdir(dir);
  const input = await makeClip(join(dir, "clip.mp4"), { seconds: 2 });
  await Deno.symlink(input, join(dir, "clip_compressed.mp4"));
  const size = (await Deno.stat(input)).size;
  const result = await runCli(sb, ["tscompress", "--delete-input-on-success", input]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /skipped/);
  assert.equal((await Deno.stat(input)).size, size, "the input stays");
});

Deno.test({
  name:
    "tscompress checks disk_free_min before starting and survives a full disk: exit 7, input kept",
  ignore: !(await canMountTmpfs()),
  fn: async () => {
    await using sb = await makeSandbox();
    await writeEncoderConfig(sb);
    const dir = join(sb.home, "recs");
    await Deno.mkdir(dir);
    const ts = await makeClip(join(dir, "clip.ts"), { seconds: 4, ts: true });
    const size = (await Deno.stat(ts)).size;
    const small = join(sb.home, "small");
    await using _disk = await mountTmpfs(small, "16k");
    const args = ["tscompress", "--delete-ts-after-remux", "--output-dir", small, ts];

    const refused = await runCli(sb, args, { env: { DISK_FREE_MIN_BYTES: String(2 ** 40) } });
    assert.equal(refused.code, 7, refused.stderr);
    assert.match(refused.stdout, /low-disk/);
    // The table wraps long notes to the terminal's width; the log has the reason on one line.
    assert.match(refused.stderr, /below disk_free_min 1\.0 TiB: not started/);
    assert.deepEqual(await listDir(small), [], "ffmpeg never started");

    const full = await runCli(sb, args, { env: { DISK_FREE_MIN_BYTES: "0" } });
    assert.equal(full.code, 7, full.stderr);
    assert.doesNotMatch(full.stdout, /Unexpected error/);
    assert.match(full.stdout, /low-disk/);
    assert.match(full.stderr, /No space left on device/);
    assert.deepEqual(await listDir(small), [], "no partial output left");
    assert.equal((await Deno.stat(ts)).size, size, "the input stays");
  },
});
