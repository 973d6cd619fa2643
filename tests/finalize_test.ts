/**
 * finalizeRecording() on real parts made by ffmpeg: continuous merge, verification, corrupt
 * parts kept rather than lost.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { finalizeRecording } from "../testing/finalize_parts.ts";
import { MergeFailedError } from "../src/errors.ts";
import { measureContent } from "../src/proc/media_content.ts";
import { ffprobe, listDir } from "../testing/cli.ts";
import { topLevelBoxes } from "../testing/mp4.ts";
import { ensureSegments } from "../testing/segments.ts";
import { ensureClip } from "../testing/clips.ts";
import { trimToCompleteMedia } from "../src/record/trim_to_complete_media.ts";

/** A record dir with its `temp/` folder, removed when disposed. */
async function recordingDirs() {
  const root = await Deno.makeTempDir();
  const temp = join(root, "temp");
  await Deno.mkdir(temp);
  return {
    root,
    temp,
    /** finalizeRecording() of `parts` into `root`, remuxing, the merged .ts deleted unless asked. */
    finalize: (parts: string[], base: string, options: { deleteTsAfterRemux?: boolean } = {}) =>
      finalizeRecording(parts, {
        recordDir: root,
        tempDir: temp,
        base,
        enableRemux: true,
        deleteTsAfterRemux: options.deleteTsAfterRemux ?? true,
      }),
    [Symbol.asyncDispose]: () => Deno.remove(root, { recursive: true }),
  };
}

async function makePart(dir: string, name: string, segmentFiles: string[]): Promise<string> {
  const path = join(dir, name);
  const chunks = await Promise.all(segmentFiles.map((file) => Deno.readFile(file)));
  await Deno.writeFile(path, new Uint8Array(chunks.flatMap((chunk) => [...chunk])));
  return path;
}

Deno.test("finalizeRecording() merges parts with a timestamp gap into one file of their total length", async () => {
  const segments = await ensureSegments();
  await using dirs = await recordingDirs();
  const { root, temp } = dirs;
  const part1 = await makePart(temp, "u_base_part01.ts", segments.files.slice(0, 4));
  const part2 = await makePart(temp, "u_base_part02.ts", segments.files.slice(20, 24));
  const result = await dirs.finalize([part1, part2], "u_base", { deleteTsAfterRemux: false });
  assert.deepEqual(result.delivered, [join(root, "u_base.mp4"), join(root, "u_base.ts")]);
  const mp4 = await ffprobe(result.deliverable);
  assert.ok(Math.abs(mp4.duration - 8) < 1, `mp4 lasts ${mp4.duration}, parts 8 s (gap removed)`);
  const boxes = await topLevelBoxes(result.deliverable);
  assert.deepEqual(boxes.slice(0, 2), ["ftyp", "moov"], `one write, index first: ${boxes}`);
  const ts = await ffprobe(join(root, "u_base.ts"));
  assert.ok(Math.abs(ts.duration - 8) < 1, `ts lasts ${ts.duration}`);
  assert.deepEqual(await listDir(temp), []);
});

Deno.test("finalizeRecording() skips a corrupt part, keeps it, and never overwrites an existing final", async () => {
  const segments = await ensureSegments();
  await using dirs = await recordingDirs();
  const { root, temp } = dirs;
  await Deno.writeTextFile(join(root, "u_base.mp4"), "an older recording with the same name");
  const good = await makePart(temp, "u_base_part01.ts", segments.files.slice(0, 3));
  const corrupt = join(temp, "u_base_part02.ts");
  await Deno.writeFile(corrupt, crypto.getRandomValues(new Uint8Array(50_000)));
  const result = await dirs.finalize([good, corrupt], "u_base");
  assert.equal(result.deliverable, join(root, "u_base-1.mp4"));
  assert.equal(
    await Deno.readTextFile(join(root, "u_base.mp4")),
    "an older recording with the same name",
  );
  assert.deepEqual(result.unreadableParts, [corrupt]);
  assert.deepEqual(
    await listDir(temp),
    ["u_base_part02.ts"],
    "corrupt part kept, good part removed",
  );
  assert.ok(Math.abs((await ffprobe(result.deliverable)).duration - 3) < 1);
});

Deno.test("finalizeRecording() fails with exit code 6 and keeps every part when none is readable", async () => {
  await using dirs = await recordingDirs();
  const { temp } = dirs;
  const bad = join(temp, "u_base_part01.ts");
  await Deno.writeTextFile(bad, "not video");
  await assert.rejects(
    dirs.finalize([bad], "u_base"),
    (error: Error) => error instanceof MergeFailedError && error.exitCode === 6,
  );
  assert.deepEqual(await listDir(temp), ["u_base_part01.ts"]);
});

Deno.test("finalizeRecording() makes one monotonic .mp4 of every frame when timestamps jump back inside a part", async () => {
  const segments = await ensureSegments();
  await using dirs = await recordingDirs();
  const { root, temp } = dirs;
  // A source restart inside one capture: timestamps run 20-30 s, then start again at 0.
  const part = await makePart(temp, "u_jump_part01.ts", [
    ...segments.files.slice(20, 30),
    ...segments.files.slice(0, 10),
  ]);
  const next = await makePart(temp, "u_jump_part02.ts", segments.files.slice(40, 43));
  const result = await dirs.finalize([part, next], "u_jump");
  assert.equal(result.remuxFailed, false);
  assert.equal(result.deliverable, join(root, "u_jump.mp4"));
  const content = await measureContent(result.deliverable);
  assert.ok(content?.video && content.audio, "audio and video");
  assert.deepEqual(content.timelineProblems, []);
  assert.ok(content.video.packets >= 23 * 30 - 3, `${content.video.packets} frames of 690`);
  const span = content.video.last - content.video.first;
  assert.ok(Math.abs(span - 23) < 1, `video spans ${span} s for 23 s of frames`);
  assert.ok(content.video.longestHole < 0.1, `hole of ${content.video.longestHole} s`);
  assert.deepEqual(await listDir(temp), []);
});

async function writeFmp4Part(path: string, pieces: (Uint8Array | undefined)[]): Promise<number> {
  const bytes = pieces.filter((piece) => piece !== undefined);
  const size = bytes.reduce((sum, piece) => sum + piece.byteLength, 0);
  const all = new Uint8Array(size);
  let at = 0;
  for (const piece of bytes) {
    all.set(piece, at);
    at += piece.byteLength;
  }
  await Deno.writeFile(path, all);
  return size;
}

Deno.test("finalizeRecording() re-times fragmented MP4 parts (named .ts) whose decode times restart", async () => {
  const clip = await ensureClip({ offset: 1000, seconds: 14, fmp4: true });
  await using dirs = await recordingDirs();
  const { root, temp } = dirs;
  // An encoder restart: fragments 6-11, then 0-5 again, then a second part at 12-13.
  const part = join(temp, "u_f_part01.ts");
  await writeFmp4Part(part, [
    clip.init,
    ...clip.segments.slice(6, 12),
    ...clip.segments.slice(0, 6),
  ]);
  const next = join(temp, "u_f_part02.ts");
  await writeFmp4Part(next, [clip.init, ...clip.segments.slice(12, 14)]);
  const result = await dirs.finalize([part, next], "u_f");
  assert.equal(result.fallbackReason, undefined);
  assert.equal(result.deliverable, join(root, "u_f.mp4"));
  const content = await measureContent(result.deliverable);
  assert.ok(content?.video && content.audio, "audio and video");
  assert.deepEqual(content.timelineProblems, []);
  assert.equal(content.video.packets, 14 * 30);
  const span = content.video.last - content.video.first;
  assert.ok(Math.abs(span - 14) < 0.5, `video spans ${span} s for 14 s of frames`);
  assert.deepEqual(await listDir(temp), []);
});

Deno.test("finalizeRecording() stream-copies AV1 fMP4 across an encoder restart, never re-encoding it", async () => {
  const clip = await ensureClip({ offset: 1000, seconds: 6, fmp4: true, codec: "av1" });
  await using dirs = await recordingDirs();
  const { temp } = dirs;
  const part = join(temp, "u_a_part01.ts");
  await writeFmp4Part(part, [
    clip.init,
    ...clip.segments.slice(3, 6),
    ...clip.segments.slice(0, 3),
  ]);
  const result = await dirs.finalize([part], "u_a");
  assert.equal(result.fallbackReason, undefined);
  const content = await measureContent(result.deliverable);
  assert.equal(content?.video?.codec, "av1");
  assert.equal(content?.video?.packets, 180);
  assert.deepEqual(content?.timelineProblems, []);
});

Deno.test("finalizeRecording() rewraps fMP4 whose picture size changes mid-part into one .mp4 that decodes", async () => {
  const small = await ensureClip({ offset: 1000, seconds: 14, fmp4: true });
  const large = await ensureClip({ offset: 1000, seconds: 4, fmp4: true, size: "640x360" });
  await using dirs = await recordingDirs();
  const { temp } = dirs;
  const part = join(temp, "u_c_part01.ts");
  await writeFmp4Part(part, [
    small.init,
    ...small.segments.slice(0, 3),
    large.init,
    ...large.segments.slice(0, 3),
  ]);
  const result = await dirs.finalize([part], "u_c");
  assert.equal(result.fallbackReason, undefined);
  const content = await measureContent(result.deliverable);
  assert.deepEqual(content?.timelineProblems, []);
  const frames = content?.video?.packets ?? 0;
  assert.ok(frames >= 178 && frames <= 180, `${frames} of the 180 frames of both sizes`);
  const decode = await new Deno.Command("ffmpeg", {
    args: ["-v", "error", "-i", result.deliverable, "-f", "null", "-"],
    stderr: "piped",
  }).output();
  assert.equal(new TextDecoder().decode(decode.stderr).trim(), "");
});

Deno.test("finalizeRecording() keeps fMP4 whose codec changes as a byte-joined .mp4 and says why", async () => {
  const h264 = await ensureClip({ offset: 1000, seconds: 14, fmp4: true });
  const hevc = await ensureClip({ offset: 1000, seconds: 12, fmp4: true, codec: "hevc" });
  await using dirs = await recordingDirs();
  const { root, temp } = dirs;
  const part = join(temp, "u_c_part01.ts");
  const size = await writeFmp4Part(part, [
    h264.init,
    ...h264.segments.slice(0, 3),
    hevc.init,
    ...hevc.segments.slice(0, 3),
  ]);
  const result = await dirs.finalize([part], "u_c");
  assert.match(result.fallbackReason ?? "", /to another codec/);
  assert.equal(result.deliverable, join(root, "u_c.mp4"), "MP4 bytes keep an .mp4 name");
  assert.equal((await Deno.stat(result.deliverable)).size, size, "every byte captured is kept");
});

Deno.test("trimToCompleteMedia() cuts a killed fMP4 part back to its last whole fragment", async () => {
  const clip = await ensureClip({ offset: 1000, seconds: 14, fmp4: true });
  const root = await Deno.makeTempDir();
  try {
    const path = join(root, "u_part01.ts");
    const whole = await writeFmp4Part(path, [clip.init, ...clip.segments.slice(0, 3)]);
    const cut = clip.segments[3]!.subarray(0, 5000);
    await writeFmp4Part(path, [clip.init, ...clip.segments.slice(0, 3), cut]);
    // Whole boxes before the cut-off fragment (a segment's `styp`) may stay; its `moof` goes.
    const trimmed = await trimToCompleteMedia(path);
    assert.ok(trimmed > 4000 && trimmed <= 5000, `trimmed ${trimmed} of the 5000-byte cut`);
    assert.equal((await Deno.stat(path)).size, whole + 5000 - trimmed);
    const content = await measureContent(path);
    assert.equal(content?.video?.packets, 90, "the three whole seconds are kept");
    assert.equal(await trimToCompleteMedia(path), 0);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
