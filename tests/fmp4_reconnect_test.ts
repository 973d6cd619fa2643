/**
 * End-to-end: fragmented-MP4 broadcasts (the shape Twitch serves for HEVC, AV1 and more and more
 * H.264, with #EXT-X-MAP init segments and segments of about 2 s) recorded by the real `record`
 * with real streamlink through the same reconnects as the MPEG-TS tests: an outage on our side
 * inside the live window, a streamlink killed and restarted (the same fragments downloaded
 * again), an encoder restart (a new init segment, timestamps back). The delivered `.mp4` is
 * decoded frame by frame and matched against the source: every frame exactly once, in order.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type BroadcastPiece, ensureClip, piecesScript } from "../testing/clips.ts";
import {
  collect,
  killLeftovers,
  listDir,
  makeSandbox,
  type Sandbox,
  spawnCli,
} from "../testing/cli.ts";
import { eventually } from "../testing/eventually.ts";
import { concatBytes, frameHashes, frameHashesOf, repeatedFrames } from "../testing/frames.ts";
import { type LiveHlsServer, startHlsServer } from "../testing/hls_server.ts";
import { streamlinksWith } from "../testing/processes.ts";
import { readFmp4Layout } from "../src/record/fmp4_fragments.ts";
import { measureContent } from "../src/proc/media_content.ts";

/** Twitch's segments last about 2 s. */
const SEGMENT = 2;

/** The source frames of `pieces` played one after another (each piece through its own init). */
async function sourceFrames(pieces: readonly BroadcastPiece[], dir: string): Promise<string[]> {
  const frames: string[] = [];
  for (const piece of pieces) {
    const clip = await ensureClip(piece);
    frames.push(...await frameHashesOf([clip.init!, ...clip.segments], dir, "source.mp4"));
  }
  return frames;
}

/** Waits until the first part holds at least `bytes`. */
async function firstPartHolds(sandbox: Sandbox, bytes: number): Promise<void> {
  await eventually(`the first part holding ${bytes} bytes`, async () => {
    const first = (await listDir(sandbox.tempDir)).find((name) => name.endsWith("_part01.ts"));
    const size = first
      ? (await Deno.stat(join(sandbox.tempDir, first)).catch(() => undefined))?.size ?? 0
      : 0;
    return size >= bytes ? true : undefined;
  }, 60_000);
}

/** Plays `pieces` to `record`, runs `during` once the recorder runs, returns what it delivered. */
async function recordBroadcast(
  user: string,
  pieces: readonly BroadcastPiece[],
  during: (server: LiveHlsServer, sandbox: Sandbox) => Promise<void>,
) {
  // 20 segments of 2 s: Twitch's live window of 30-40 s holds everything an outage skipped.
  const server = await startHlsServer({ windowSize: 20, endGraceMs: 2000 });
  try {
    await using sandbox = await makeSandbox({ urlTemplate: server.urlTemplate, retryWindow: 20 });
    server.playScript(user, await piecesScript(pieces));
    const recorder = spawnCli(sandbox, ["record", user]);
    await during(server, sandbox);
    const result = await collect(recorder);
    assert.equal(result.code, 0, result.stderr.slice(-3000));
    const parts = [...result.stderr.matchAll(/Part "[^"]+" ended/g)].length;
    const finals = (await listDir(sandbox.recordDir)).filter((name) => name.endsWith(".mp4"));
    assert.equal(finals.length, 1, `record dir: ${finals}`);
    const history = await collect(spawnCli(sandbox, ["history", "--json"]));
    return {
      parts,
      frames: await frameHashes(join(sandbox.recordDir, finals[0]!)),
      source: await sourceFrames(pieces, sandbox.home),
      entry: JSON.parse(history.stdout).recordings[0],
      log: result.stderr.slice(-3000),
    };
  } finally {
    await server.close();
  }
}

/** SIGKILLs the sandbox's streamlink as in a crash; returns the pids for clean-up. */
async function killStreamlink(sandbox: Sandbox): Promise<number[]> {
  const pids = await eventually("streamlink running", async () => {
    const found = (await streamlinksWith(`${sandbox.tempDir}/`)).map((p) => p.pid);
    return found.length > 0 ? found : undefined;
  });
  for (const pid of pids) Deno.kill(pid, "SIGKILL");
  return pids;
}

/**
 * An outage on our side: the next part reaches back over it; every fragment the live window
 * still held is delivered, once.
 */
async function outageScenario(): Promise<void> {
  const pieces: BroadcastPiece[] = [{ offset: 1000, seconds: 30, fmp4: true, segmentSeconds: 2 }];
  const clip = await ensureClip(pieces[0]!);
  const eight = clip.init!.byteLength +
    clip.segments.slice(0, 8 / SEGMENT).reduce((sum, seg) => sum + seg.byteLength, 0);
  const got = await recordBroadcast("fmp4_outage", pieces, async (server, sandbox) => {
    await firstPartHolds(sandbox, eight);
    server.outage("fmp4_outage", 8);
  });
  assert.ok(got.parts >= 2, `the outage ends a part: ${got.log}`);
  assert.deepEqual(repeatedFrames(got.frames), [], "no frame twice");
  assert.deepEqual(got.frames, got.source, "every frame of the source, in order");
  assert.ok(got.entry.coverage.repeats_dropped_seconds > 0, JSON.stringify(got.entry));
  assert.deepEqual(got.entry.coverage.gaps, [], JSON.stringify(got.entry));
  assert.equal(got.entry.coverage.delivered_by, "live", "fragments appended while recording");
}

/** A streamlink killed and restarted inside the live window: nothing twice, nothing lost. */
async function crashScenario(): Promise<void> {
  const pieces: BroadcastPiece[] = [{ offset: 1000, seconds: 24, fmp4: true, segmentSeconds: 2 }];
  const clip = await ensureClip(pieces[0]!);
  const ten = clip.init!.byteLength +
    clip.segments.slice(0, 10 / SEGMENT).reduce((sum, seg) => sum + seg.byteLength, 0);
  const killed: number[] = [];
  try {
    const got = await recordBroadcast("fmp4_crash", pieces, async (_server, sandbox) => {
      await firstPartHolds(sandbox, ten);
      killed.push(...await killStreamlink(sandbox));
    });
    assert.deepEqual(repeatedFrames(got.frames), [], "no frame twice");
    assert.deepEqual(got.frames, got.source, "every frame of the source, in order");
    assert.ok(got.entry.coverage.repeats_dropped_seconds > 0, JSON.stringify(got.entry));
    assert.deepEqual(got.entry.coverage.gaps, [], JSON.stringify(got.entry));
    assert.equal(got.entry.coverage.delivered_by, "live", "the repeated fragments dropped live");
  } finally {
    killLeftovers(killed);
  }
}

/** An encoder restart (new init, timestamps back), streamlink restarting after it: both once. */
async function encoderRestartScenario(): Promise<void> {
  const pieces: BroadcastPiece[] = [
    { offset: 1000, seconds: 8, fmp4: true, segmentSeconds: 2 },
    { offset: 0, seconds: 14, fmp4: true, segmentSeconds: 2 },
  ];
  const before = await ensureClip(pieces[0]!);
  const after = await ensureClip(pieces[1]!);
  // Killed once the part holds 4 s after the restart: the next part repeats them.
  const bytes = [before.init!, ...before.segments, after.init!, ...after.segments.slice(0, 2)]
    .reduce((sum, piece) => sum + piece.byteLength, 0);
  const killed: number[] = [];
  try {
    const got = await recordBroadcast("fmp4_restart", pieces, async (_server, sandbox) => {
      await firstPartHolds(sandbox, bytes);
      killed.push(...await killStreamlink(sandbox));
    });
    // The clock restarts on the same test picture, so frames recur: the source order decides.
    assert.deepEqual(got.frames, got.source, "every frame of both clocks once, in order");
    assert.ok(got.entry.coverage.repeats_dropped_seconds > 0, JSON.stringify(got.entry));
    // A new init and a clock going back need finalize's re-timing.
    assert.equal(got.entry.coverage.delivered_by, "parts", JSON.stringify(got.entry));
  } finally {
    killLeftovers(killed);
  }
}

// Real time is the cost here (the broadcasts play live), so the three run at once.
Deno.test("fMP4 broadcasts through an outage, a streamlink crash and an encoder restart deliver every frame once", async () => {
  const names = ["outage", "streamlink crash", "encoder restart"];
  const results = await Promise.allSettled([
    outageScenario(),
    crashScenario(),
    encoderRestartScenario(),
  ]);
  const failures = results.flatMap((r, i) =>
    r.status === "rejected" ? [`${names[i]}: ${r.reason}`] : []
  );
  assert.deepEqual(failures, []);
});

/**
 * A clip remuxed with one `moof` per track (video, then audio, a fragment per second), as some
 * packagers write fMP4: its init segment and its fragments' bytes.
 */
async function perTrackFragments(dir: string) {
  const clip = await ensureClip({ offset: 1000, seconds: 20, fmp4: true, segmentSeconds: 2 });
  const source = join(dir, "joined.mp4");
  const remuxed = join(dir, "per_track.mp4");
  await Deno.writeFile(source, concatBytes([clip.init!, ...clip.segments]));
  const movflags = "+frag_keyframe+empty_moov+separate_moof+default_base_moof";
  const out = await new Deno.Command("ffmpeg", {
    args: ["-v", "error", "-y", "-i", source, "-c", "copy", "-movflags", movflags, remuxed],
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const bytes = await Deno.readFile(remuxed);
  const layout = await readFmp4Layout(remuxed);
  const fragments = layout.fragments.map((f) =>
    bytes.subarray(f.dataStart - f.moof.byteLength, f.end)
  );
  return { init: layout.inits[0]!.bytes, fragments, path: remuxed };
}

Deno.test("fMP4 parts with one moof per track, cut between the tracks, join seamlessly: no hole, audio with its video", async () => {
  await using sandbox = await makeSandbox({ urlTemplate: "hls://http://127.0.0.1:9/{user}" });
  const { init, fragments, path } = await perTrackFragments(sandbox.home);
  // Fragments alternate video (even) and audio (odd), a second each. Part 1 ends after the video
  // of second 10 (its audio cut off); part 2 reaches back to second 5.
  assert.equal(fragments.length, 40);
  const base = "trackuser_2026-01-02_03-04-05";
  await Deno.mkdir(sandbox.tempDir, { recursive: true });
  await Deno.writeFile(
    join(sandbox.tempDir, `${base}_part01.ts`),
    concatBytes([init, ...fragments.slice(0, 21)]),
  );
  await Deno.writeFile(
    join(sandbox.tempDir, `${base}_part02.ts`),
    concatBytes([init, ...fragments.slice(10)]),
  );
  const result = await collect(spawnCli(sandbox, ["recover"]));
  assert.equal(result.code, 0, result.stderr);
  const mp4 = join(sandbox.recordDir, `${base}.mp4`);
  const frames = await frameHashes(mp4);
  assert.deepEqual(repeatedFrames(frames), [], "no frame twice");
  assert.deepEqual(frames, await frameHashes(path), "every frame of the source, in order");
  const content = await measureContent(mp4);
  assert.ok(content?.video && content.audio, "audio and video");
  assert.ok(content.video.longestHole < 0.1, `a ${content.video.longestHole} s hole in the video`);
  const drift = Math.abs(content.audio.last - content.video.last);
  assert.ok(drift < 0.1, `audio ends ${drift} s away from its video`);
  const history = await collect(spawnCli(sandbox, ["history", "--json"]));
  const entry = JSON.parse(history.stdout).recordings[0];
  assert.equal(entry.coverage.repeats_dropped_seconds, 6, JSON.stringify(entry));
  assert.deepEqual(entry.coverage.gaps, [], JSON.stringify(entry));
});

Deno.test("recover keeps the last frame before an fMP4 encoder restart (a new init) and drops only the repeat after it", async () => {
  const before = await ensureClip({ offset: 1000, seconds: 8, fmp4: true, segmentSeconds: 2 });
  const after = await ensureClip({ offset: 0, seconds: 14, fmp4: true, segmentSeconds: 2 });
  await using sandbox = await makeSandbox({ urlTemplate: "hls://http://127.0.0.1:9/{user}" });
  await Deno.mkdir(sandbox.tempDir, { recursive: true });
  const base = "restartuser_2026-01-02_03-04-05";
  // As streamlink 5.2.1 writes them (the init before every segment): part 1 holds the first clock
  // and 4 s of the second; part 2 reaches back to the restart.
  const withInit = (init: Uint8Array, segments: readonly Uint8Array[]) =>
    segments.flatMap((segment) => [init, segment]);
  await Deno.writeFile(
    join(sandbox.tempDir, `${base}_part01.ts`),
    concatBytes([
      ...withInit(before.init!, before.segments),
      ...withInit(after.init!, after.segments.slice(0, 2)),
    ]),
  );
  await Deno.writeFile(
    join(sandbox.tempDir, `${base}_part02.ts`),
    concatBytes(withInit(after.init!, after.segments)),
  );
  const result = await collect(spawnCli(sandbox, ["recover"]));
  assert.equal(result.code, 0, result.stderr);
  const frames = await frameHashes(join(sandbox.recordDir, `${base}.mp4`));
  const source = [
    ...await frameHashesOf([before.init!, ...before.segments], sandbox.home, "source.mp4"),
    ...await frameHashesOf([after.init!, ...after.segments], sandbox.home, "source.mp4"),
  ];
  assert.deepEqual(frames, source, "every frame of both clocks once, in order");
});
