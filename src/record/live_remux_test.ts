import assert from "node:assert/strict";
import { join } from "node:path";
import { ensureClip } from "../../testing/clips.ts";
import { concatBytes, frameHashes, frameHashesOf, repeatedFrames } from "../../testing/frames.ts";
import { LiveRemux } from "./live_remux.ts";

const BASE = "live_unit_2024-01-01_00-00-00";

/** Appends `pieces` to `path` one by one, as streamlink writes segments. */
async function writeGrowing(path: string, pieces: readonly Uint8Array[]): Promise<void> {
  using file = await Deno.open(path, { write: true, create: true, append: true });
  for (const piece of pieces) {
    await file.write(piece);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

Deno.test("LiveRemux follows growing parts and drops the head a reconnect repeats", async () => {
  const { segments } = await ensureClip({ offset: 1000, seconds: 12 });
  const dir = await Deno.makeTempDir();
  try {
    const live = new LiveRemux(dir, BASE);
    const first = join(dir, `${BASE}_part01.ts`);
    const second = join(dir, `${BASE}_part02.ts`);
    live.partStarted(first);
    await writeGrowing(first, segments.slice(0, 8));
    live.partEnded(first, "kept");
    // The reconnected streamlink starts 3 segments back inside the live window.
    live.partStarted(second);
    await writeGrowing(second, segments.slice(5));
    live.partEnded(second, "kept");
    const journal = await live.finish();
    assert.equal(journal.state, "closed", JSON.stringify(journal));
    const frames = await frameHashes(journal.file);
    assert.deepEqual(repeatedFrames(frames), [], "no frame twice");
    assert.deepEqual(frames, await frameHashesOf(segments, dir), "every frame once");
    assert.ok((journal.packets?.video ?? 0) >= frames.length, JSON.stringify(journal));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("LiveRemux feeds nothing of a part the capture loop discards as a whole repeat", async () => {
  const { segments } = await ensureClip({ offset: 1000, seconds: 12 });
  const dir = await Deno.makeTempDir();
  try {
    const live = new LiveRemux(dir, BASE);
    const first = join(dir, `${BASE}_part01.ts`);
    const second = join(dir, `${BASE}_part02.ts`);
    live.partStarted(first);
    await Deno.writeFile(first, concatBytes(segments));
    live.partEnded(first, "kept");
    live.partStarted(second);
    await Deno.writeFile(second, concatBytes(segments.slice(9)));
    live.partEnded(second, "discarded");
    await Deno.remove(second);
    const journal = await live.finish();
    assert.equal(journal.state, "closed", JSON.stringify(journal));
    assert.deepEqual(await frameHashes(journal.file), await frameHashesOf(segments, dir));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("LiveRemux reports failure when its ffmpeg is gone, so the parts are finalized", async () => {
  const { segments } = await ensureClip({ offset: 1000, seconds: 12 });
  const dir = await Deno.makeTempDir();
  try {
    const live = new LiveRemux(dir, BASE);
    const first = join(dir, `${BASE}_part01.ts`);
    live.partStarted(first);
    await writeGrowing(first, segments.slice(0, 6));
    live.abandon("test: remuxer given up");
    await writeGrowing(first, segments.slice(6));
    live.partEnded(first, "kept");
    const journal = await live.finish();
    assert.equal(journal.state, "failed");
    assert.equal(journal.reason, "test: remuxer given up");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
