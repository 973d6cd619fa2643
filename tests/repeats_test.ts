/**
 * End-to-end: parts that repeat each other, as a streamlink restarted inside the live window
 * writes them, finalized by `recover` with real ffmpeg and judged frame by frame against the
 * source: no frame twice, none missing. An encoder restart (timestamps back, other bytes) keeps
 * both halves. The session manifest and `history --json` say how much was dropped.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { measureContent } from "../src/proc/media_content.ts";
import { ensureClip } from "../testing/clips.ts";
import { listDir, makeSandbox, runCli, type Sandbox } from "../testing/cli.ts";
import {
  concatBytes,
  frameHashes,
  frameHashesOf,
  framesMissing,
  repeatedFrames,
} from "../testing/frames.ts";

const BASE = "repeatuser_2026-01-02_03-04-05";

/** Writes the parts, runs `recover`, returns the delivered .mp4's path. */
async function recoverParts(sandbox: Sandbox, parts: readonly Uint8Array[]): Promise<string> {
  await Deno.mkdir(sandbox.tempDir, { recursive: true });
  for (const [index, bytes] of parts.entries()) {
    const name = `${BASE}_part${String(index + 1).padStart(2, "0")}.ts`;
    await Deno.writeFile(join(sandbox.tempDir, name), bytes);
  }
  const result = await runCli(sandbox, ["recover"]);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(await listDir(sandbox.tempDir), [], "parts and manifest removed");
  return join(sandbox.recordDir, `${BASE}.mp4`);
}

/** The recording's entry in `history --json`. */
async function historyEntry(sandbox: Sandbox) {
  const result = await runCli(sandbox, ["history", "--json"]);
  assert.equal(result.code, 0, result.stderr);
  const entry = JSON.parse(result.stdout).recordings[0];
  assert.ok(entry, result.stdout);
  return entry;
}

Deno.test("finalize keeps each second once when an MPEG-TS part repeats the end of the one before", async () => {
  const clip = await ensureClip({ offset: 1000, seconds: 14 });
  const seg = clip.segments;
  await using sandbox = await makeSandbox({ urlTemplate: "hls://http://127.0.0.1:9/{user}" });
  // Part 1 was cut mid-segment 7 (188-byte packets kept); part 2 starts 3 segments back.
  const cut = seg[7]!.subarray(0, Math.floor(seg[7]!.byteLength / 2 / 188) * 188);
  const mp4 = await recoverParts(sandbox, [
    concatBytes([...seg.slice(0, 7), cut]),
    concatBytes(seg.slice(4, 10)),
    concatBytes(seg.slice(8, 14)),
  ]);
  const source = await frameHashesOf(seg.slice(0, 14), sandbox.home);
  const delivered = await frameHashes(mp4);
  assert.deepEqual(repeatedFrames(delivered), [], "no frame twice");
  assert.deepEqual(delivered, source, "every frame of the source, in order");
  const entry = await historyEntry(sandbox);
  assert.equal(entry.coverage.repeats_dropped_seconds, 5.5, JSON.stringify(entry));
  assert.deepEqual(entry.coverage.gaps, []);
  assert.equal(entry.coverage.backfilled_seconds, 0);
  assert.match((await runCli(sandbox, ["history"])).stdout, /repeatuser: complete\n/);
  assert.ok(Math.abs(entry.coverage.captured_seconds - 14) < 0.1, JSON.stringify(entry));
});

Deno.test("finalize keeps each fMP4 fragment once when a part repeats the one before", async () => {
  const clip = await ensureClip({ offset: 1000, seconds: 14, fmp4: true });
  const seg = clip.segments;
  const init = clip.init!;
  await using sandbox = await makeSandbox({ urlTemplate: "hls://http://127.0.0.1:9/{user}" });
  const mp4 = await recoverParts(sandbox, [
    concatBytes([init, ...seg.slice(0, 7)]),
    concatBytes([init, ...seg.slice(3, 14)]),
  ]);
  const source = await frameHashesOf([init, ...seg.slice(0, 14)], sandbox.home, "source.mp4");
  const delivered = await frameHashes(mp4);
  assert.deepEqual(repeatedFrames(delivered), [], "no frame twice");
  assert.deepEqual(delivered, source, "every frame of the source, in order");
  assert.equal((await historyEntry(sandbox)).coverage.repeats_dropped_seconds, 4);
});

Deno.test("finalize keeps both halves of an encoder restart and reports a hole between parts", async () => {
  const before = await ensureClip({ offset: 1000, seconds: 8 });
  const restart = await ensureClip({ offset: 0, seconds: 6 });
  await using sandbox = await makeSandbox({ urlTemplate: "hls://http://127.0.0.1:9/{user}" });
  // Part 1: seconds 0-5 of the first clock; part 2 misses seconds 5-6, then the encoder restarts
  // (same pictures, timestamps back to 0: new bytes) and part 3 starts with a repeat of part 2.
  const mp4 = await recoverParts(sandbox, [
    concatBytes(before.segments.slice(0, 5)),
    concatBytes([...before.segments.slice(6, 8), ...restart.segments.slice(0, 3)]),
    concatBytes(restart.segments.slice(1, 6)),
  ]);
  const source = await frameHashesOf(
    [...before.segments.slice(0, 5), ...before.segments.slice(6, 8), ...restart.segments],
    sandbox.home,
  );
  const delivered = await frameHashes(mp4);
  // ffmpeg's own repair of the jump back may drop a frame or two at the restart (as without
  // repeats); everything else is there once, in order.
  const missing = framesMissing(delivered, source);
  assert.ok(missing !== undefined && missing <= 3, `missing ${missing} of ${source.length}`);
  const content = await measureContent(mp4);
  assert.ok((content?.video?.packets ?? 0) >= 13 * 30 - 3, "5 + 2 s of the first clock, 6 s after");
  const entry = await historyEntry(sandbox);
  assert.equal(entry.coverage.repeats_dropped_seconds, 2);
  assert.deepEqual(entry.coverage.gaps, [{ at_seconds: 5, seconds: 1 }]);
  const human = await runCli(sandbox, ["history"]);
  assert.match(human.stdout, /repeatuser: gap 1s at 5s\n/);
});
