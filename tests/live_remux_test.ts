/**
 * End-to-end: `[record] live_remux` (the default), the deliverable written while recording: what
 * is special to it (the fallback, kills, freeing the parts); `every_second_test.ts` runs the
 * exactly-once scenarios through it. The real `record`
 * command with real streamlink against scripted broadcasts of the test HLS server; the delivered
 * `.mp4` is decoded frame by frame and matched against the source's frames, as the exactly-once
 * tests do, and `history --json` says which path delivered it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { clipBroadcast } from "../testing/clips.ts";
import {
  collect,
  deliveredRecording,
  killLeftovers,
  listDir,
  makeSandbox,
  runCli,
  type Sandbox,
  spawnCli,
  statusJson,
} from "../testing/cli.ts";
import { eventually } from "../testing/eventually.ts";
import {
  adoptedDeliveredLive,
  type Adoption,
  FREEING,
  liveJournal,
  partsFreed,
  recorderKilledAfterFreeing,
  sigkill,
  smallRecordDisk,
} from "../testing/live.ts";
import { frameHashes, frameHashesOf, framesMissing, repeatedFrames } from "../testing/frames.ts";
import { startHlsServer } from "../testing/hls_server.ts";
import { pidsWith } from "../testing/processes.ts";
import { canMountTmpfs } from "../testing/tmpfs.ts";
import { findChromium, playVideoFile } from "../testing/chromium.ts";

const tmpfs = await canMountTmpfs();

/** Bytes the MPEG-TS segments take remuxed into one `.mp4` (what a recording delivers). */
async function mp4Bytes(segments: readonly Uint8Array[], dir: string): Promise<number> {
  const ts = join(dir, "sizing.ts");
  const mp4 = join(dir, "sizing.mp4");
  await Deno.writeFile(ts, new Uint8Array(segments.flatMap((segment) => [...segment])));
  const args = ["-v", "error", "-i", ts, "-map", "0", "-c", "copy", "-y", mp4];
  const output = await new Deno.Command("ffmpeg", { args, stderr: "piped" }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  const size = (await Deno.stat(mp4)).size;
  await Deno.remove(ts);
  await Deno.remove(mp4);
  return size;
}

/** What the recorder said about its live file (for a failure message). */
function liveLines(stderr: string): string {
  return stderr.split("\n").filter((line) => /live|Finalizing the parts/i.test(line)).join("\n");
}

/** The live file of the one session in the session folder, once it exists. */
function liveFile(sandbox: { tempDir: string }): Promise<string> {
  return eventually("the live file", async () => {
    const name = (await listDir(sandbox.tempDir)).find((n) => n.endsWith(".live.mp4"));
    return name ? join(sandbox.tempDir, name) : undefined;
  }, 60_000);
}

Deno.test("live_remux falls back to the parts when its ffmpeg is killed for good", async () => {
  const { script, segments } = await clipBroadcast(20);
  const server = await startHlsServer({ windowSize: 10, endGraceMs: 2000 });
  const killed = new Set<number>();
  try {
    await using sandbox = await makeSandbox({ urlTemplate: server.urlTemplate });
    server.playScript("live_fallback", script);
    const recorder = spawnCli(sandbox, ["record", "live_fallback"]);
    const file = await liveFile(sandbox);
    const ffmpeg = await eventually("the live ffmpeg", async () => {
      const pids = await pidsWith(file);
      return pids.length > 0 ? pids : undefined;
    });
    sigkill(ffmpeg, killed);
    const result = await collect(recorder);
    assert.equal(result.code, 0, result.stderr.slice(-2000));
    const { mp4, entry } = await deliveredRecording(sandbox);
    const frames = await frameHashes(mp4);
    assert.deepEqual(frames, await frameHashesOf(segments, sandbox.home), "every frame once");
    assert.equal(entry.coverage.delivered_by, "parts", liveLines(result.stderr));
    const jobs = await listDir(sandbox.jobsDir);
    const job = JSON.parse(await Deno.readTextFile(join(sandbox.jobsDir, jobs[0]!)));
    assert.match(job.note, /finalized from the parts/, JSON.stringify(job));
    assert.deepEqual(await listDir(sandbox.tempDir), [], "the live file went with the parts");
  } finally {
    killLeftovers(killed);
    await server.close();
  }
});

Deno.test("live_remux: a recorder killed with -9 mid-recording is recovered from its parts", async () => {
  const { script, segments } = await clipBroadcast(20);
  const server = await startHlsServer({ windowSize: 10, endGraceMs: 2000 });
  const leftovers = new Set<number>();
  try {
    await using sandbox = await makeSandbox({ urlTemplate: server.urlTemplate });
    server.playScript("live_killed", script);
    const recorder = spawnCli(sandbox, ["record", "live_killed"]);
    leftovers.add(recorder.pid);
    const file = await liveFile(sandbox);
    await eventually("the live file holds data", async () => {
      const size = (await Deno.stat(file).catch(() => undefined))?.size ?? 0;
      return size > 100_000 || undefined;
    });
    recorder.kill("SIGKILL");
    await collect(recorder);
    await recoveredAfterKill(sandbox, segments, {}, "parts");
  } finally {
    killLeftovers(leftovers);
    await server.close();
  }
});

Deno.test("live_remux: sixty seconds in, the growing file decodes to at least the first 40 s and seeks in a browser", async () => {
  // 90 s: the browser below must open the file while it still grows, with room for a slow start.
  const { script, segments } = await clipBroadcast(90);
  const server = await startHlsServer({ windowSize: 10, endGraceMs: 2000 });
  try {
    await using sandbox = await makeSandbox({ urlTemplate: server.urlTemplate });
    server.playScript("live_grows", script);
    const recorder = spawnCli(sandbox, ["record", "live_grows"]);
    const started = Date.now();
    const growing = await eventually("status names the growing file", async () => {
      const status = await statusJson(sandbox);
      const recording = status.recordings[0] as { growing_file?: string } | undefined;
      return recording?.growing_file;
    }, 60_000);
    assert.equal(growing, await liveFile(sandbox));
    await eventually("sixty seconds of recording", () => Date.now() - started >= 60_000, {
      timeoutMs: 300_000,
      everyMs: 1000,
    });
    const copy = join(sandbox.home, "growing.mp4");
    await Deno.copyFile(growing, copy);
    if (findChromium()) {
      // The growing file itself, opened in a browser while the recording goes on: it seeks.
      const played = await playVideoFile(growing, 30);
      assert.ok(played.duration >= 40, JSON.stringify(played));
      assert.ok(
        Math.abs(played.seekedTo - 30) < 0.5 && played.readyState >= 2,
        JSON.stringify(played),
      );
      assert.ok(played.playedTo > 30.3 && played.framesDecoded > 0, JSON.stringify(played));
      assert.equal(played.videoWidth, 320, JSON.stringify(played));
      const status = await statusJson(sandbox);
      assert.equal(
        (status.recordings[0] as { growing_file?: string } | undefined)?.growing_file,
        growing,
        "still recording after the browser played it",
      );
    }
    const frames = await frameHashes(copy);
    const source = await frameHashesOf(segments, sandbox.home);
    assert.ok(frames.length >= 40 * 30, `${frames.length} frames decode`);
    assert.deepEqual(frames, source.slice(0, frames.length), "the broadcast's first frames");
    const result = await collect(recorder);
    assert.equal(result.code, 0, result.stderr.slice(-2000));
    const { mp4, entry } = await deliveredRecording(sandbox);
    assert.deepEqual(await frameHashes(mp4), source, "every frame once");
    assert.equal(entry.coverage.delivered_by, "live", liveLines(result.stderr));
  } finally {
    await server.close();
  }
});

Deno.test({
  name: "live_remux on a disk that holds the delivered file 1.4 times delivers it whole",
  ignore: !tmpfs,
  fn: async () => {
    const { script, segments } = await clipBroadcast(60);
    const server = await startHlsServer({ windowSize: 10, endGraceMs: 2000 });
    try {
      await using sandbox = await makeSandbox({ urlTemplate: server.urlTemplate });
      const size = await mp4Bytes(segments, sandbox.home);
      await using _disk = await smallRecordDisk(sandbox, server.urlTemplate, size, 1.4);
      server.playScript("live_small", script);
      const result = await collect(spawnCli(sandbox, ["record", "live_small"], { env: FREEING }));
      assert.equal(result.code, 0, result.stderr.slice(-2000));
      const { mp4, entry } = await deliveredRecording(sandbox);
      assert.deepEqual(await frameHashes(mp4), await frameHashesOf(segments, sandbox.home));
      assert.equal(entry.coverage.delivered_by, "live", liveLines(result.stderr));
    } finally {
      await server.close();
    }
  },
});

Deno.test("live_remux: a recorder killed with -9 after freeing part of its part is recovered whole", async () => {
  const { script, segments } = await clipBroadcast(45);
  const server = await startHlsServer({ windowSize: 10, endGraceMs: 2000 });
  const leftovers = new Set<number>();
  try {
    await using sandbox = await makeSandbox({ urlTemplate: server.urlTemplate });
    server.playScript("live_freed", script);
    await recorderKilledAfterFreeing(sandbox, "live_freed", leftovers);
    // The live file holds everything up to its checkpoint: recover goes on with it.
    await recoveredAfterKill(sandbox, segments, FREEING, "live");
  } finally {
    killLeftovers(leftovers);
    await server.close();
  }
});

Deno.test("live_remux: its ffmpeg killed for good after part of the part was freed, every frame is delivered", async () => {
  const { script, segments } = await clipBroadcast(40);
  const server = await startHlsServer({ windowSize: 10, endGraceMs: 2000 });
  const killed = new Set<number>();
  try {
    await using sandbox = await makeSandbox({ urlTemplate: server.urlTemplate });
    server.playScript("live_freed_fallback", script);
    const recorder = spawnCli(sandbox, ["record", "live_freed_fallback"], { env: FREEING });
    const file = await liveFile(sandbox);
    await partsFreed(sandbox);
    sigkill(await pidsWith(file), killed);
    const result = await collect(recorder);
    assert.equal(result.code, 0, result.stderr.slice(-2000));
    const { mp4, entry } = await deliveredRecording(sandbox);
    const frames = await frameHashes(mp4);
    const source = await frameHashesOf(segments, sandbox.home);
    assert.deepEqual(frames, source, "every frame once");
    assert.equal(entry.coverage.delivered_by, "parts", liveLines(result.stderr));
    assert.deepEqual(await listDir(sandbox.tempDir), [], "nothing left in the session folder");
  } finally {
    killLeftovers(killed);
    await server.close();
  }
});

Deno.test("live_remux drops a reconnect's repeat after part of the part was freed", async () => {
  const { script, segments } = await clipBroadcast(45);
  const server = await startHlsServer({ windowSize: 8, endGraceMs: 2000 });
  const killed = new Set<number>();
  try {
    await using sandbox = await makeSandbox({ urlTemplate: server.urlTemplate });
    server.playScript("live_freed_crashy", script);
    const recorder = spawnCli(sandbox, ["record", "live_freed_crashy"], { env: FREEING });
    await partsFreed(sandbox);
    const part = (await liveJournal(sandbox))!.checkpoint!.part;
    sigkill(await pidsWith(part), killed);
    const result = await collect(recorder);
    assert.equal(result.code, 0, result.stderr.slice(-2000));
    const { mp4, entry } = await deliveredRecording(sandbox);
    const frames = await frameHashes(mp4);
    assert.deepEqual(repeatedFrames(frames), [], "no frame twice");
    assert.deepEqual(frames, await frameHashesOf(segments, sandbox.home), "every frame once");
    assert.equal(entry.coverage.delivered_by, "live", liveLines(result.stderr));
    assert.ok(entry.coverage.repeats_dropped_seconds > 0, JSON.stringify(entry));
  } finally {
    killLeftovers(killed);
    await server.close();
  }
});

/**
 * A poller hosting `user` ends with `signal` once the part was freed; the next one adopts the
 * session and goes on with its live file through a new ffmpeg fed from the checkpoint's keyframe:
 * every frame once, delivered live.
 */
async function adoptedLiveGoesOn(user: string, adoption: Adoption, seconds = 60) {
  const { script, segments } = await clipBroadcast(seconds);
  const server = await startHlsServer({ windowSize: 10, endGraceMs: 2000 });
  await using sandbox = await makeSandbox();
  const leftovers = new Set<number>();
  try {
    server.playScript(user, script);
    const source = () => frameHashesOf(segments, sandbox.home);
    await adoptedDeliveredLive(sandbox, server.urlTemplate, user, adoption, source, leftovers);
  } finally {
    killLeftovers(leftovers);
    await server.close();
  }
}

Deno.test("live_remux: a poller killed with -9 after freeing part of the part; the adopting one goes on with the live file", async () => {
  await adoptedLiveGoesOn("live_adopted", { signal: "SIGKILL" });
});

Deno.test("live_remux: a poller stopped while capturing; the next one goes on with the live file", async () => {
  await adoptedLiveGoesOn("live_adopted_stop", { signal: "SIGTERM" });
});

Deno.test("live_remux: after an adoption, a reconnect's repeat of the adopted part is dropped from the live file", async () => {
  await adoptedLiveGoesOn("live_adopted_reconnect", { signal: "SIGKILL", reconnect: true }, 75);
});

/**
 * Once a killed recorder's orphaned streamlink and ffmpeg have ended (with the broadcast, or with
 * their input), `recover` delivers one file by the path `deliveredBy` (the live file gone on with
 * from its checkpoint, or the parts): no frame twice, at most 300 frames (10 s) missing, and
 * nothing left in the session folder.
 */
async function recoveredAfterKill(
  sandbox: Sandbox,
  segments: readonly Uint8Array[],
  env: Record<string, string>,
  deliveredBy: "live" | "parts",
): Promise<void> {
  await eventually("no process of the sandbox left", async () => {
    const pids = await pidsWith(sandbox.tempDir);
    return pids.length === 0 || undefined;
  });
  const result = await runCli(sandbox, ["recover"], { env });
  assert.equal(result.code, 0, result.stderr);
  const { mp4, entry } = await deliveredRecording(sandbox);
  const frames = await frameHashes(mp4);
  const source = await frameHashesOf(segments, sandbox.home);
  assert.deepEqual(repeatedFrames(frames), [], "no frame twice");
  const missing = framesMissing(frames, source);
  assert.ok(missing !== undefined && missing <= 300, `${missing} of ${source.length} missing`);
  assert.equal(entry.coverage.delivered_by, deliveredBy, JSON.stringify(entry));
  assert.deepEqual(await listDir(sandbox.tempDir), [], "nothing left in the session folder");
}
