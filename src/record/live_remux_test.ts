import assert from "node:assert/strict";
import { join } from "node:path";
import { ensureClip } from "../../testing/clips.ts";
import { concatBytes, frameHashes, frameHashesOf, repeatedFrames } from "../../testing/frames.ts";
import { pipeRemuxArgs } from "../proc/ffmpeg_args.ts";
import { runWithInput } from "../proc/spawn.ts";
import type { LiveCheckpoint } from "../state/session_manifest.ts";
import { stageDeliverables } from "./finalize.ts";
import { stageLiveDelivery } from "./live_delivery.ts";
import { LiveRemux } from "./live_remux.ts";

const BASE = "live_unit_2024-01-01_00-00-00";

/** Appends `pieces` to `path` one by one, as streamlink writes segments. */
async function writeGrowing(
  path: string,
  pieces: readonly Uint8Array[],
  everyMs = 20,
): Promise<void> {
  using file = await Deno.open(path, { write: true, create: true, append: true });
  for (const piece of pieces) {
    await file.write(piece);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
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

/** The frames finalize's one pass makes of `pieces` (the same feed, written as a plain MP4). */
async function finalizedFrames(pieces: readonly Uint8Array[], dir: string): Promise<string[]> {
  const output = join(dir, "finalized.mp4");
  const result = await runWithInput(
    "ffmpeg",
    pipeRemuxArgs("mpegts", output, "mp4"),
    async (stdin) => await stdin.write(concatBytes(pieces)),
  );
  assert.equal(result.code, 0, result.stderr.slice(-1000));
  try {
    return await frameHashes(output);
  } finally {
    await Deno.remove(output);
  }
}

Deno.test("LiveRemux writes an encoder restart, an ad on its own clock at another size, HEVC and the 33-bit wrap as finalize does", async () => {
  const main = await ensureClip({ offset: 1000, seconds: 6 });
  const restart = await ensureClip({ offset: 0, seconds: 6 });
  const ad = await ensureClip({ offset: 7, seconds: 4, size: "640x360" });
  const hevc = await ensureClip({ offset: 1000, seconds: 6, codec: "hevc" });
  // The 90 kHz clock wraps (2^33 ticks, 95,443.7 s) 7.7 s into this one.
  const wrap = await ensureClip({ offset: 95_436, seconds: 14 });
  const dir = await Deno.makeTempDir();
  try {
    const shapes = [
      [...main.segments, ...ad.segments, ...restart.segments],
      hevc.segments,
      wrap.segments,
    ];
    for (const [index, pieces] of shapes.entries()) {
      const live = new LiveRemux(dir, BASE);
      const part = join(dir, `${BASE}_part01.ts`);
      live.partStarted(part);
      await writeGrowing(part, pieces);
      live.partEnded(part, "kept");
      const journal = await live.finish();
      assert.equal(journal.state, "closed", JSON.stringify(journal));
      // The clips share their pictures (only their clocks differ): judged against finalize.
      const frames = await frameHashes(journal.file);
      assert.deepEqual(frames, await finalizedFrames(pieces, dir), `shape ${index}`);
      // And the file passes the check that lets it be delivered.
      const staged = await stageLiveDelivery(
        {
          user: "live_unit",
          base: BASE,
          pid: 0,
          started_at: new Date(0).toISOString(),
          phase: "capturing",
          parts: [part],
          enable_remux: true,
          delete_ts_after_remux: true,
          delete_input_on_success: false,
          live: journal,
        },
        {
          recordDir: join(dir, "out"),
          tempDir: dir,
          base: BASE,
          enableRemux: true,
          deleteTsAfterRemux: true,
        },
        [],
      );
      assert.notEqual(typeof staged, "string", `shape ${index}: ${staged}`);
      await Deno.remove(journal.file);
      await Deno.remove(part);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("LiveRemux frees what the live file holds only after journaling it, and the live prefix plus the parts give every frame once", async () => {
  const { segments } = await ensureClip({ offset: 1000, seconds: 30 });
  const dir = await Deno.makeTempDir();
  try {
    const journaled: (LiveCheckpoint | undefined)[] = [];
    const freedAtJournal: number[] = [];
    const live: LiveRemux = new LiveRemux(dir, BASE, {
      free: {
        keepSeconds: 6,
        journal: () => {
          journaled.push(live.journal.checkpoint);
          freedAtJournal.push(live.freedBytes);
          return Promise.resolve();
        },
      },
    });
    const first = join(dir, `${BASE}_part01.ts`);
    const second = join(dir, `${BASE}_part02.ts`);
    live.partStarted(first);
    await writeGrowing(first, segments.slice(0, 22), 350);
    live.partEnded(first, "kept");
    live.partStarted(second);
    await writeGrowing(second, segments.slice(18), 350);
    live.partEnded(second, "kept");
    const journal = await live.finish();
    assert.equal(journal.state, "closed", JSON.stringify(journal));
    const checkpoint = journal.checkpoint;
    assert.ok(checkpoint && journal.freed_bytes, JSON.stringify(journal));
    assert.ok(journaled.every((point) => point !== undefined), "the checkpoint is journaled first");
    assert.equal(freedAtJournal[0], 0, "nothing freed before the first checkpoint was journaled");
    const stat = await Deno.stat(first);
    assert.ok(stat.blocks! * 512 < stat.size, `${stat.blocks} blocks for ${stat.size} bytes`);
    const source = await frameHashesOf(segments, dir);
    assert.deepEqual(await frameHashes(journal.file), source, "the live file: every frame once");
    // The fallback: the live file up to the checkpoint, then the parts from there on.
    const staged = await stageDeliverables(
      [first, second],
      {
        recordDir: join(dir, "out"),
        tempDir: dir,
        base: BASE,
        enableRemux: true,
        deleteTsAfterRemux: true,
      },
      { file: journal.file, checkpoint },
    );
    assert.equal(staged.fallbackReason, undefined);
    assert.ok(staged.coverage.repeats_dropped_seconds > 0, JSON.stringify(staged.coverage));
    assert.deepEqual(await frameHashes(staged.deliveries[0]!.staged), source, "every frame once");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
