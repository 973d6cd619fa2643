/**
 * End-to-end: every broadcast second exactly once. The real `record` command with real
 * streamlink against scripted broadcasts of the test HLS server, the delivered `.mp4` decoded
 * frame by frame and matched against the source's frames: a channel noticed after it went live
 * is recorded from its first frame (the live playlist still held it), and a streamlink killed
 * mid-broadcast and restarted inside the live window leaves no frame twice and none missing.
 * They run the default path, the `.mp4` written while recording (`record/live_remux.ts`);
 * `live_remux_test.ts` has what is special to it (freeing, kills, the fallback).
 */
import { eventually } from "../testing/eventually.ts";
import { pidsWith, streamlinksWith } from "../testing/processes.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { clipBroadcast } from "../testing/clips.ts";
import {
  collect,
  deliveredRecording,
  hostingConfig,
  killLeftovers,
  listDir,
  makeSandbox,
  recordingsOf,
  runCli,
  spawnCli,
} from "../testing/cli.ts";
import { frameHashes, frameHashesOf, repeatedFrames } from "../testing/frames.ts";
import { startHlsServer } from "../testing/hls_server.ts";

Deno.test("record starts at the oldest segment the live playlist still holds", async () => {
  const { script, segments } = await clipBroadcast(14);
  const server = await startHlsServer({ windowSize: 10, endGraceMs: 2000 });
  try {
    await using sandbox = await makeSandbox({ urlTemplate: server.urlTemplate });
    // Noticed 6 s after going live: the first playlist the recorder sees holds seconds 0-6.
    server.playScript("late_start", script, { heldAtStart: 6 });
    const result = await collect(spawnCli(sandbox, ["record", "late_start"]));
    assert.equal(result.code, 0, result.stderr.slice(-2000));
    const { mp4, entry } = await deliveredRecording(sandbox);
    const frames = await frameHashes(mp4);
    assert.deepEqual(repeatedFrames(frames), [], "no frame twice");
    assert.deepEqual(frames, await frameHashesOf(segments, sandbox.home), "from the first frame");
    assert.deepEqual(entry.coverage.gaps, [], JSON.stringify(entry));
    assert.equal(entry.coverage.delivered_by, "live", "written while recording, no pass after");
    assert.deepEqual(await listDir(sandbox.tempDir), [], "nothing left in the session folder");
  } finally {
    await server.close();
  }
});

Deno.test("a streamlink killed mid-broadcast and restarted inside the live window repeats nothing and loses nothing", async () => {
  const { script, segments } = await clipBroadcast(24);
  const server = await startHlsServer({ windowSize: 8, endGraceMs: 2000 });
  const killed = new Set<number>();
  try {
    await using sandbox = await makeSandbox({ urlTemplate: server.urlTemplate });
    server.playScript("crashy", script);
    const recorder = spawnCli(sandbox, ["record", "crashy"]);
    const part = `${sandbox.tempDir}/crashy_`;
    // Once the first part holds about 8 s, its streamlink dies as in a crash.
    const streamlink = await eventually("streamlink with 8 s written", async () => {
      const pids = (await streamlinksWith(part)).map((p) => p.pid);
      const parts = (await listDir(sandbox.tempDir)).filter((name) => name.endsWith("01.ts"));
      const size = parts[0]
        ? (await Deno.stat(join(sandbox.tempDir, parts[0])).catch(() => undefined))?.size ?? 0
        : 0;
      const eight = segments.slice(0, 8).reduce((sum, seg) => sum + seg.byteLength, 0);
      return size >= eight && pids.length > 0 ? pids : undefined;
    }, 60_000);
    for (const pid of streamlink) {
      Deno.kill(pid, "SIGKILL");
      killed.add(pid);
    }
    const result = await collect(recorder);
    assert.equal(result.code, 0, result.stderr.slice(-2000));
    const { mp4, entry } = await deliveredRecording(sandbox);
    const frames = await frameHashes(mp4);
    assert.deepEqual(repeatedFrames(frames), [], "no frame twice");
    assert.deepEqual(frames, await frameHashesOf(segments, sandbox.home), "every frame once");
    assert.ok(entry.coverage.repeats_dropped_seconds > 0, JSON.stringify(entry));
    assert.deepEqual(entry.coverage.gaps, [], JSON.stringify(entry));
    assert.equal(entry.coverage.delivered_by, "live", "the repeat dropped as the bytes flowed");
  } finally {
    killLeftovers(killed);
    await server.close();
  }
});

Deno.test("a recording the poller hosts also starts at the oldest segment the live playlist holds", async () => {
  const { script, segments } = await clipBroadcast(14);
  const server = await startHlsServer({ windowSize: 20, endGraceMs: 2000 });
  await using sandbox = await makeSandbox();
  const leftovers = new Set<number>();
  try {
    const configPath = await hostingConfig(sandbox, server.urlTemplate, ["hosted_late"]);
    // The poller's probe is the broadcast's first viewer, 6 s after it went live.
    server.playScript("hosted_late", script, { heldAtStart: 6 });
    const poller = spawnCli(sandbox, ["--config", configPath, "poller", "run"]);
    leftovers.add(poller.pid);
    const mp4s = await eventually(
      "the hosted recording delivered",
      async () => {
        const found = await recordingsOf(sandbox.recordDir, "hosted_late");
        return found.length > 0 ? found : undefined;
      },
      300_000,
    );
    poller.kill("SIGTERM");
    const result = await collect(poller);
    assert.equal(result.code, 0, result.stderr.slice(-2000));
    for (const pid of await pidsWith(sandbox.tempDir)) leftovers.add(pid);
    const frames = await frameHashes(mp4s[0]!);
    assert.deepEqual(repeatedFrames(frames), [], "no frame twice");
    assert.deepEqual(frames, await frameHashesOf(segments, sandbox.home), "from the first frame");
  } finally {
    killLeftovers(leftovers);
    await server.close();
  }
});

Deno.test("a poller killed with -9 mid-broadcast and restarted adopts the capture: one file, no frame twice, none missing", async () => {
  const { script, segments } = await clipBroadcast(30);
  const server = await startHlsServer({ windowSize: 20, endGraceMs: 2000 });
  await using sandbox = await makeSandbox();
  const configPath = await hostingConfig(sandbox, server.urlTemplate, ["adopted"]);
  const leftovers = new Set<number>();
  const startPoller = () => {
    const poller = spawnCli(sandbox, ["--config", configPath, "poller", "run"]);
    leftovers.add(poller.pid);
    return poller;
  };
  try {
    server.playScript("adopted", script);
    const first = startPoller();
    await eventually("the hosted capture growing", async () => {
      const status = await runCli(sandbox, ["--config", configPath, "status", "--json"]);
      return JSON.parse(status.stdout).recordings.some((r: { bytes: number }) => r.bytes > 200_000);
    }, 300_000);
    first.kill("SIGKILL");
    await collect(first);
    const second = startPoller();
    const mp4s = await eventually("the adopted recording delivered", async () => {
      const found = await recordingsOf(sandbox.recordDir, "adopted");
      return found.length > 0 ? found : undefined;
    }, 150_000);
    second.kill("SIGTERM");
    const result = await collect(second);
    assert.equal(result.code, 0, result.stderr.slice(-2000));
    for (const pid of await pidsWith(sandbox.tempDir)) leftovers.add(pid);
    assert.equal(mp4s.length, 1, `one file for one broadcast: ${mp4s}`);
    const frames = await frameHashes(mp4s[0]!);
    assert.deepEqual(repeatedFrames(frames), [], "no frame twice");
    assert.deepEqual(frames, await frameHashesOf(segments, sandbox.home), "every frame, in order");
    // The next poller cannot append to the killed one's live file: the parts deliver.
    const history = JSON.parse((await runCli(sandbox, ["history", "--json"])).stdout);
    assert.equal(history.recordings[0].coverage.delivered_by, "parts", JSON.stringify(history));
  } finally {
    killLeftovers(leftovers);
    await server.close();
  }
});
