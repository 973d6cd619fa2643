/**
 * End-to-end: an fMP4 broadcast (the shape Twitch serves for HEVC, AV1 and more and more H.264)
 * written live by appending its fragments (`live_fmp4.ts`), its part freed in place as the live
 * file takes it in (`live_checkpoint.ts` `Fmp4FreeIndex`): the real `record` with real streamlink
 * against a scripted broadcast of the test HLS server, the delivered `.mp4` decoded frame by frame
 * and matched against the source's frames.
 */
import assert from "node:assert/strict";
import { type BroadcastPiece, ensureClip, piecesScript } from "../testing/clips.ts";
import {
  collect,
  deliveredRecording,
  killLeftovers,
  listDir,
  makeSandbox,
  runCli,
  type Sandbox,
  spawnCli,
} from "../testing/cli.ts";
import { eventually } from "../testing/eventually.ts";
import {
  adoptedDeliveredLive,
  type Adoption,
  FREEING,
  partsFreed,
  recorderKilledAfterFreeing,
  smallRecordDisk,
} from "../testing/live.ts";
import { frameHashes, frameHashesOf, framesMissing, repeatedFrames } from "../testing/frames.ts";
import { startHlsServer } from "../testing/hls_server.ts";
import { pidsWith } from "../testing/processes.ts";
import { canMountTmpfs } from "../testing/tmpfs.ts";

const tmpfs = await canMountTmpfs();

/** 2 s segments, as Twitch's. */
const BROADCAST: BroadcastPiece = { offset: 1000, seconds: 50, fmp4: true, segmentSeconds: 2 };

/** The frames of `pieces` played one after another, each decoded through its own init. */
async function sourceFrames(dir: string, pieces = [BROADCAST]): Promise<string[]> {
  const frames: string[] = [];
  for (const piece of pieces) {
    const clip = await ensureClip(piece);
    frames.push(...await frameHashesOf([clip.init!, ...clip.segments], dir, "source.mp4"));
  }
  return frames;
}

/** Runs `run` on a test server playing `pieces` to `user`. */
async function recordFreeing(
  user: string,
  run: (sandbox: Sandbox, urlTemplate: string) => Promise<void>,
  pieces = [BROADCAST],
  windowSize = 10,
) {
  const server = await startHlsServer({ windowSize, endGraceMs: 2000 });
  try {
    await using sandbox = await makeSandbox({ urlTemplate: server.urlTemplate });
    server.playScript(user, await piecesScript(pieces));
    await run(sandbox, server.urlTemplate);
  } finally {
    await server.close();
  }
}

Deno.test("live_remux of an fMP4 broadcast frees its part as it goes and delivers the live file, every frame once", async () => {
  await recordFreeing("fmp4_freed", async (sandbox) => {
    const recorder = spawnCli(sandbox, ["record", "fmp4_freed"], { env: FREEING });
    const freed = await partsFreed(sandbox);
    const result = await collect(recorder);
    assert.equal(result.code, 0, result.stderr.slice(-2000));
    assert.ok(freed >= 4096, `${freed} bytes freed`);
    const { mp4, entry } = await deliveredRecording(sandbox);
    assert.deepEqual(await frameHashes(mp4), await sourceFrames(sandbox.home));
    assert.equal(entry.coverage.delivered_by, "live", JSON.stringify(entry));
    assert.deepEqual(await listDir(sandbox.tempDir), [], "nothing left in the session folder");
  });
});

Deno.test("live_remux of an fMP4 broadcast: a recorder killed with -9 after freeing part of its part is recovered whole", async () => {
  const leftovers = new Set<number>();
  try {
    await recordFreeing("fmp4_freed_killed", async (sandbox) => {
      await recorderKilledAfterFreeing(sandbox, "fmp4_freed_killed", leftovers);
      await eventually("no process of the sandbox left", async () => {
        const pids = await pidsWith(sandbox.tempDir);
        pids.forEach((pid) => leftovers.add(pid));
        return pids.length === 0 || undefined;
      });
      const result = await runCli(sandbox, ["recover"], { env: FREEING });
      assert.equal(result.code, 0, result.stderr);
      const { mp4, entry } = await deliveredRecording(sandbox);
      const frames = await frameHashes(mp4);
      const source = await sourceFrames(sandbox.home);
      assert.deepEqual(repeatedFrames(frames), [], "no frame twice");
      const missing = framesMissing(frames, source);
      assert.ok(missing !== undefined && missing <= 300, `${missing} of ${source.length} missing`);
      // The live file holds everything up to its checkpoint: recover goes on with it.
      assert.equal(entry.coverage.delivered_by, "live", JSON.stringify(entry));
      assert.deepEqual(await listDir(sandbox.tempDir), [], "nothing left in the session folder");
    });
  } finally {
    killLeftovers(leftovers);
  }
});

Deno.test("live_remux of an fMP4 broadcast: an encoder restart after part of the part was freed gives every frame of both clocks once", async () => {
  const pieces: BroadcastPiece[] = [
    { offset: 1000, seconds: 36, fmp4: true, segmentSeconds: 2 },
    { offset: 0, seconds: 10, fmp4: true, segmentSeconds: 2 },
  ];
  await recordFreeing("fmp4_freed_restart", async (sandbox) => {
    const recorder = spawnCli(sandbox, ["record", "fmp4_freed_restart"], { env: FREEING });
    await partsFreed(sandbox);
    const result = await collect(recorder);
    assert.equal(result.code, 0, result.stderr.slice(-2000));
    const { mp4, entry } = await deliveredRecording(sandbox);
    // The clock restarts on the same test picture, so frames recur: the source order decides.
    assert.deepEqual(await frameHashes(mp4), await sourceFrames(sandbox.home, pieces));
    // A new init mid-recording: the live file up to its checkpoint, then the parts.
    assert.equal(entry.coverage.delivered_by, "parts", JSON.stringify(entry));
    assert.deepEqual(await listDir(sandbox.tempDir), [], "nothing left in the session folder");
  }, pieces);
});

/**
 * A poller hosting `user` ends with `signal` once the part was freed; the next one adopts the
 * session and goes on with its live file: every frame once, delivered live.
 */
async function adoptedLiveGoesOn(user: string, adoption: Adoption, seconds = 70) {
  const piece: BroadcastPiece = { ...BROADCAST, seconds };
  const leftovers = new Set<number>();
  try {
    // A reconnect repeats the whole window: it must lie in the part's kept tail (12 s with
    // FREEING, as 60 s does Twitch's 30-40 s), or the live file gives way to the parts.
    const windowSize = adoption.reconnect ? 5 : 10;
    await recordFreeing(
      user,
      async (sandbox, urlTemplate) => {
        const source = () => sourceFrames(sandbox.home, [piece]);
        await adoptedDeliveredLive(sandbox, urlTemplate, user, adoption, source, leftovers);
      },
      [piece],
      windowSize,
    );
  } finally {
    killLeftovers(leftovers);
  }
}

Deno.test("live_remux of an fMP4 broadcast: a poller killed with -9 after freeing; the adopting one goes on with the live file", async () => {
  await adoptedLiveGoesOn("fmp4_adopt_killed", { signal: "SIGKILL" });
});

Deno.test("live_remux of an fMP4 broadcast: a poller stopped while capturing; the next one goes on with the live file", async () => {
  await adoptedLiveGoesOn("fmp4_adopt_stopped", { signal: "SIGTERM" });
});

Deno.test("live_remux of an fMP4 broadcast: after an adoption, a reconnect's repeat is dropped from the live file", async () => {
  await adoptedLiveGoesOn("fmp4_adopt_reconnect", { signal: "SIGKILL", reconnect: true }, 85);
});

Deno.test({
  name:
    "live_remux of an fMP4 broadcast on a disk that holds the delivered file 1.4 times delivers it whole",
  ignore: !tmpfs,
  fn: async () => {
    // 90 s: what each part keeps whatever its length (its head and 12 s tail) stays a small share.
    const piece: BroadcastPiece = { offset: 1000, seconds: 90, fmp4: true, segmentSeconds: 2 };
    const clip = await ensureClip(piece);
    const size = [clip.init!, ...clip.segments].reduce((sum, bytes) => sum + bytes.byteLength, 0);
    const server = await startHlsServer({ windowSize: 10, endGraceMs: 2000 });
    try {
      await using sandbox = await makeSandbox({ urlTemplate: server.urlTemplate });
      await using _disk = await smallRecordDisk(sandbox, server.urlTemplate, size, 1.4);
      server.playScript("fmp4_small", await piecesScript([piece]));
      const result = await collect(spawnCli(sandbox, ["record", "fmp4_small"], { env: FREEING }));
      assert.equal(result.code, 0, result.stderr.slice(-2000));
      const { mp4, entry } = await deliveredRecording(sandbox);
      assert.deepEqual(await frameHashes(mp4), await sourceFrames(sandbox.home, [piece]));
      assert.equal(entry.coverage.delivered_by, "live", JSON.stringify(entry));
    } finally {
      await server.close();
    }
  },
});
