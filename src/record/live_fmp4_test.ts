import assert from "node:assert/strict";
import { join } from "node:path";
import { concatBytes } from "../../testing/frames.ts";
import { initSegment } from "../../testing/fmp4_builder.ts";
import { BROADCAST_INIT, partBytes, segmentFragments } from "../../testing/fmp4_broadcast.ts";
import { children, type Fmp4Layout, readFmp4Layout } from "./fmp4_fragments.ts";
import { Fmp4LiveFile } from "./live_fmp4.ts";
import { LiveRemux } from "./live_remux.ts";

const BASE = "fmp4_unit_2024-01-01_00-00-00";

/** Writes `bytes` to `path` in small pieces, as a growing part (boxes cut anywhere). */
async function writeGrowing(path: string, bytes: Uint8Array): Promise<void> {
  using file = await Deno.open(path, { write: true, create: true, append: true });
  for (let at = 0; at < bytes.byteLength; at += 700) {
    await file.write(bytes.subarray(at, at + 700));
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Follows `parts` (each written as it grows, then ended) and returns the journal. */
async function remux(dir: string, parts: readonly Uint8Array[]) {
  const live = new LiveRemux(dir, BASE);
  for (const [index, bytes] of parts.entries()) {
    const path = join(dir, `${BASE}_part0${index + 1}.ts`);
    live.partStarted(path);
    await writeGrowing(path, bytes);
    live.partEnded(path, "kept");
  }
  return await live.finish();
}

/** Each fragment's tracks as `id@time` (the decode times the file holds). */
function times(layout: Fmp4Layout): string[] {
  return layout.fragments.map((f) => f.tracks.map((t) => `${t.trackId}@${t.baseTime}`).join());
}

Deno.test("LiveRemux appends fMP4 fragments as they grow: a reconnect's repeat dropped, one shift to zero for all tracks", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // One moof per track, the reconnected streamlink starting three segments back.
    const journal = await remux(dir, [partBytes(0, 6, true), partBytes(3, 10, true)]);
    assert.equal(journal.state, "closed", JSON.stringify(journal));
    const layout = await readFmp4Layout(journal.file);
    assert.equal(layout.inits.length, 1);
    assert.equal(layout.completeBytes, layout.size);

    // The source's fragments of segments 0-9 once each, in order, media bytes untouched.
    const source = await readFmp4Layout(await written(dir, partBytes(0, 10, true)));
    assert.equal(layout.fragments.length, source.fragments.length);
    const file = await Deno.readFile(journal.file);
    const sourceFile = await Deno.readFile(join(dir, "source.mp4"));
    for (const [i, fragment] of layout.fragments.entries()) {
      const from = source.fragments[i]!;
      assert.deepEqual(
        file.subarray(fragment.dataStart, fragment.end),
        sourceFile.subarray(from.dataStart, from.end),
        `fragment ${i}`,
      );
    }
    // Shifted by the broadcast's first second for every track (1000 s here): audio keeps its
    // place against the video.
    const shifted = source.fragments.map((f) =>
      f.tracks.map((t) => {
        const timescale = f.init.tracks.get(t.trackId)!.timescale;
        return `${t.trackId}@${t.baseTime - 1000 * timescale}`;
      }).join()
    );
    assert.deepEqual(times(layout), shifted);
    assert.equal(journal.packets?.video, 10 * 60);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Writes `bytes` as `<dir>/source.mp4`; its path. */
async function written(dir: string, bytes: Uint8Array): Promise<string> {
  const path = join(dir, "source.mp4");
  await Deno.writeFile(path, bytes);
  return path;
}

Deno.test("LiveRemux gives up an fMP4 live file at a new init segment or at times going back", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const otherInit = initSegment([{ id: 1, kind: "video", timescale: 30_000 }]);
    const restarted = concatBytes([otherInit, ...segmentFragments(0, false)]);
    const newInit = await remux(dir, [partBytes(0, 4, false), restarted]);
    assert.equal(newInit.state, "failed");
    assert.match(newInit.reason ?? "", /new init segment/);

    await Deno.remove(dir, { recursive: true });
    await Deno.mkdir(dir);
    // The same init, the clock back at 0 (an encoder restart): not a repeat of anything.
    const back = concatBytes([partBytes(0, 0, false), ...segmentFragments(0, false, 0)]);
    const wentBack = await remux(dir, [partBytes(0, 4, false), back]);
    assert.equal(wentBack.state, "failed");
    assert.match(wentBack.reason ?? "", /went back/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** The `ftyp` and `moov` boxes of an init segment, apart. */
function initBoxes(init: Uint8Array): [Uint8Array, Uint8Array] {
  const boxes = [...children(init, 0, init.byteLength)];
  const of = (type: string) => {
    const [, , end, start] = boxes.find(([t]) => t === type)!;
    return init.subarray(start, end);
  };
  return [of("ftyp"), of("moov")];
}

Deno.test("Fmp4LiveFile.continue cuts a live file back and appends another source's fragments where it ends", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const journal = await remux(dir, [partBytes(0, 6, false)]);
    const before = await readFmp4Layout(journal.file);
    const cut = before.fragments[3]!.end;
    const live = await Fmp4LiveFile.continue(journal.file, cut);
    assert.deepEqual(live.samples, { video: 4 * 60, audio: 4 * 94 });
    const [ftyp, moov] = initBoxes(BROADCAST_INIT);
    await live.init(ftyp, moov);
    // A new remux of what came after: its own clock, from 0.
    for (let index = 0; index < 3; index++) {
      const [fragment] = segmentFragments(index, false, 0);
      const moofSize = new DataView(fragment!.buffer).getUint32(0);
      const source = { path: "ffmpeg", start: 0, end: fragment!.byteLength };
      await live.fragment(fragment!.subarray(0, moofSize), fragment!.subarray(moofSize), source);
    }
    await live.close();

    const after = await readFmp4Layout(journal.file);
    assert.equal(after.inits.length, 1, "the new source's init is not written");
    assert.deepEqual(times(after).slice(0, 4), times(before).slice(0, 4));
    // One shift for both tracks: the later track end of the cut file (audio, 385024 / 48000 s).
    const end = (4 * 94 * 1024) / 48_000;
    assert.deepEqual(
      times(after).slice(4),
      [0, 1, 2].map((i) =>
        `1@${Math.round((end + i * 2) * 90_000)},2@${Math.round(end * 48_000) + i * 94 * 1024}`
      ),
    );
    assert.deepEqual(live.samples, { video: 7 * 60, audio: 7 * 94 });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Fmp4LiveFile.continue refuses a source whose tracks are not the live file's", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const journal = await remux(dir, [partBytes(0, 4, false)]);
    const live = await Fmp4LiveFile.continue(journal.file, (await Deno.stat(journal.file)).size);
    const [ftyp, moov] = initBoxes(initSegment([{ id: 1, kind: "video", timescale: 30_000 }]));
    await assert.rejects(live.init(ftyp, moov), /do not carry the live file's tracks/);
    live.abandon();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
