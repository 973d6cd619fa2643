/**
 * finalizeRecording() on real parts made by ffmpeg: continuous merge, verification, corrupt
 * parts kept rather than lost.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { finalizeRecording } from "../src/record/finalize.ts";
import { MergeFailedError } from "../src/errors.ts";
import { measureContent } from "../src/proc/media_content.ts";
import { ffprobe, listDir } from "./support/cli.ts";
import { topLevelBoxes } from "./support/mp4.ts";
import { ensureSegments } from "./support/segments.ts";

async function makePart(dir: string, name: string, segmentFiles: string[]): Promise<string> {
  const path = join(dir, name);
  const chunks = await Promise.all(segmentFiles.map((file) => Deno.readFile(file)));
  await Deno.writeFile(path, new Uint8Array(chunks.flatMap((chunk) => [...chunk])));
  return path;
}

Deno.test("finalizeRecording() merges parts with a timestamp gap into one file of their total length", async () => {
  const segments = await ensureSegments();
  const root = await Deno.makeTempDir();
  try {
    const temp = join(root, "temp");
    await Deno.mkdir(temp);
    const part1 = await makePart(temp, "u_base_part01.ts", segments.files.slice(0, 4));
    const part2 = await makePart(temp, "u_base_part02.ts", segments.files.slice(20, 24));
    const result = await finalizeRecording([part1, part2], {
      recordDir: root,
      tempDir: temp,
      base: "u_base",
      enableRemux: true,
      deleteTsAfterRemux: false,
    });
    assert.deepEqual(result.delivered, [join(root, "u_base.mp4"), join(root, "u_base.ts")]);
    const mp4 = await ffprobe(result.deliverable);
    assert.ok(Math.abs(mp4.duration - 8) < 1, `mp4 lasts ${mp4.duration}, parts 8 s (gap removed)`);
    const boxes = await topLevelBoxes(result.deliverable);
    assert.deepEqual(boxes.slice(0, 2), ["ftyp", "moov"], `one write, index first: ${boxes}`);
    const ts = await ffprobe(join(root, "u_base.ts"));
    assert.ok(Math.abs(ts.duration - 8) < 1, `ts lasts ${ts.duration}`);
    assert.deepEqual(await listDir(temp), []);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("finalizeRecording() skips a corrupt part, keeps it, and never overwrites an existing final", async () => {
  const segments = await ensureSegments();
  const root = await Deno.makeTempDir();
  try {
    const temp = join(root, "temp");
    await Deno.mkdir(temp);
    await Deno.writeTextFile(join(root, "u_base.mp4"), "an older recording with the same name");
    const good = await makePart(temp, "u_base_part01.ts", segments.files.slice(0, 3));
    const corrupt = join(temp, "u_base_part02.ts");
    await Deno.writeFile(corrupt, crypto.getRandomValues(new Uint8Array(50_000)));
    const result = await finalizeRecording([good, corrupt], {
      recordDir: root,
      tempDir: temp,
      base: "u_base",
      enableRemux: true,
      deleteTsAfterRemux: true,
    });
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
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("finalizeRecording() fails with exit code 6 and keeps every part when none is readable", async () => {
  const root = await Deno.makeTempDir();
  try {
    const temp = join(root, "temp");
    await Deno.mkdir(temp);
    const bad = join(temp, "u_base_part01.ts");
    await Deno.writeTextFile(bad, "not video");
    await assert.rejects(
      finalizeRecording([bad], {
        recordDir: root,
        tempDir: temp,
        base: "u_base",
        enableRemux: true,
        deleteTsAfterRemux: true,
      }),
      (error: Error) => error instanceof MergeFailedError && error.exitCode === 6,
    );
    assert.deepEqual(await listDir(temp), ["u_base_part01.ts"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("finalizeRecording() makes one monotonic .mp4 of every frame when timestamps jump back inside a part", async () => {
  const segments = await ensureSegments();
  const root = await Deno.makeTempDir();
  try {
    const temp = join(root, "temp");
    await Deno.mkdir(temp);
    // A source restart inside one capture: timestamps run 20-30 s, then start again at 0.
    const part = await makePart(temp, "u_jump_part01.ts", [
      ...segments.files.slice(20, 30),
      ...segments.files.slice(0, 10),
    ]);
    const next = await makePart(temp, "u_jump_part02.ts", segments.files.slice(40, 43));
    const result = await finalizeRecording([part, next], {
      recordDir: root,
      tempDir: temp,
      base: "u_jump",
      enableRemux: true,
      deleteTsAfterRemux: true,
    });
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
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
