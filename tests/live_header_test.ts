/**
 * Chapters written into a file made by the live remux's own ffmpeg arguments, in place: ffprobe
 * reads the chapters and the title, the padding comment is gone, and not a byte of media moved.
 * Also into a live file appended from fMP4 parts, whose room the appender writes itself.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { liveFmp4Args } from "../src/proc/ffmpeg_args.ts";
import { liveRoomMetadata, writeLiveHeader } from "../src/record/live_header.ts";
import { readFmp4Layout } from "../src/record/fmp4_fragments.ts";
import { LiveRemux } from "../src/record/live_remux.ts";
import { ensureClip } from "../testing/clips.ts";
import { concatBytes, frameHashes } from "../testing/frames.ts";

/** A live file as the remuxer writes it, from a 6 s clip; its path. */
async function liveFile(dir: string): Promise<string> {
  const clip = await ensureClip({ offset: 10, seconds: 6 });
  const room = join(dir, "room.ffmeta");
  await Deno.writeTextFile(room, liveRoomMetadata());
  const file = join(dir, "u.live.mp4");
  const ffmpeg = new Deno.Command("ffmpeg", {
    args: liveFmp4Args(file, { roomFile: room }),
    stdin: "piped",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const writer = ffmpeg.stdin.getWriter();
  await writer.write(concatBytes(clip.segments));
  await writer.close();
  assert.equal((await ffmpeg.status).code, 0);
  return file;
}

interface Probed {
  chapters: { start_time: string; end_time: string; tags?: { title?: string } }[];
  format: { tags?: Record<string, string> };
}

async function probe(path: string): Promise<Probed> {
  const out = await new Deno.Command("ffprobe", {
    args: ["-v", "error", "-of", "json", "-show_chapters", "-show_format", path],
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/** The file's fragments as (offset, size) pairs: what must not move. */
async function fragmentPlaces(path: string): Promise<string> {
  const layout = await readFmp4Layout(path);
  return JSON.stringify(layout.fragments.map((f) => [f.dataStart, f.end]));
}

Deno.test("chapters and a title go into the live file's index in place; a second run writes the same bytes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = await liveFile(dir);
    const before = { size: (await Deno.stat(file)).size, places: await fragmentPlaces(file) };
    const frames = await frameHashes(file);
    assert.match((await probe(file)).format.tags?.comment ?? "", /^ +$/);

    const chapters = [
      { start: 0, end: 2.5, title: "Früh: ☕ and chat" },
      { start: 2.5, end: 6, title: "x".repeat(300) },
    ];
    assert.equal(await writeLiveHeader(file, chapters), undefined);
    const written = await Deno.readFile(file);
    assert.equal(await writeLiveHeader(file, chapters), undefined);
    assert.deepEqual(await Deno.readFile(file), written, "a second run changes nothing");

    const probed = await probe(file);
    assert.deepEqual(
      probed.chapters.map((c) => [Number(c.start_time), c.tags?.title]),
      [[0, "Früh: ☕ and chat"], [2.5, "x".repeat(255)]],
    );
    assert.equal(Number(probed.chapters[0]!.end_time), 2.5);
    assert.equal(probed.format.tags?.title, "Früh: ☕ and chat");
    assert.equal(probed.format.tags?.comment, undefined, "the padding is gone");
    assert.match(probed.format.tags?.encoder ?? "", /^Lavf/, "ffmpeg's encoder tag is kept");
    assert.deepEqual(
      { size: (await Deno.stat(file)).size, places: await fragmentPlaces(file) },
      before,
    );
    assert.deepEqual(await frameHashes(file), frames);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("more chapters than a Nero list counts leave the live file untouched, with the reason", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = await liveFile(dir);
    const original = await Deno.readFile(file);
    const many = Array.from(
      { length: 256 },
      (_, i) => ({ start: i / 50, end: (i + 1) / 50, title: `t${i}` }),
    );
    assert.match(await writeLiveHeader(file, many) ?? "", /more than 255 chapters/);
    assert.deepEqual(await Deno.readFile(file), original);

    // Without chapters, only the padding comment goes.
    assert.equal(await writeLiveHeader(file, []), undefined);
    const probed = await probe(file);
    assert.deepEqual(probed.chapters, []);
    assert.equal(probed.format.tags?.comment, undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("chapters go into a live file appended from fMP4 parts too (its own room, no ffmpeg)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const clip = await ensureClip({ offset: 1000, seconds: 6, fmp4: true, segmentSeconds: 2 });
    const live = new LiveRemux(dir, "fmp4_chapters_2024-01-01_00-00-00");
    const part = join(dir, "fmp4_chapters_2024-01-01_00-00-00_part01.ts");
    live.partStarted(part);
    await Deno.writeFile(part, concatBytes([clip.init!, ...clip.segments]));
    live.partEnded(part, "kept");
    const journal = await live.finish();
    assert.equal(journal.state, "closed", JSON.stringify(journal));
    const frames = await frameHashes(journal.file);

    const chapters = [{ start: 0, end: 3, title: "One" }, { start: 3, end: 6, title: "Two" }];
    assert.equal(await writeLiveHeader(journal.file, chapters), undefined);
    const probed = await probe(journal.file);
    assert.deepEqual(probed.chapters.map((c) => [Number(c.start_time), c.tags?.title]), [
      [0, "One"],
      [3, "Two"],
    ]);
    assert.equal(probed.format.tags?.title, "One");
    assert.deepEqual(await frameHashes(journal.file), frames, "no media byte moved");
    assert.deepEqual(frames, await frameHashes(part), "every frame of the part, in order");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
