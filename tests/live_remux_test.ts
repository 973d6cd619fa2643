/**
 * End-to-end: `[record] live_remux`, the deliverable written while recording. The real `record`
 * command with real streamlink against scripted broadcasts of the test HLS server; the delivered
 * `.mp4` is decoded frame by frame and matched against the source's frames, as the exactly-once
 * tests do, and `history --json` says which path delivered it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { clipBroadcast } from "../testing/clips.ts";
import { collect, killLeftovers, listDir, makeSandbox, runCli, spawnCli } from "../testing/cli.ts";
import { eventually } from "../testing/eventually.ts";
import { frameHashes, frameHashesOf, repeatedFrames } from "../testing/frames.ts";
import { startHlsServer } from "../testing/hls_server.ts";
import { pidsWith } from "../testing/processes.ts";

const LIVE = { LIVE_REMUX: "true" };

/** What the recorder said about its live file (for a failure message). */
function liveLines(stderr: string): string {
  return stderr.split("\n").filter((line) => /live|Finalizing the parts/i.test(line)).join("\n");
}

/** The single delivered .mp4 and its entry in `history --json`. */
async function delivered(sandbox: { recordDir: string } & Parameters<typeof runCli>[0]) {
  const finals = (await listDir(sandbox.recordDir)).filter((name) => name.endsWith(".mp4"));
  assert.equal(finals.length, 1, `record dir: ${finals}`);
  const history = await runCli(sandbox, ["history", "--json"]);
  return {
    mp4: join(sandbox.recordDir, finals[0]!),
    entry: JSON.parse(history.stdout).recordings[0],
  };
}

Deno.test("live_remux delivers the file written while recording, every frame once", async () => {
  const { script, segments } = await clipBroadcast(14);
  const server = await startHlsServer({ windowSize: 10, endGraceMs: 2000 });
  try {
    await using sandbox = await makeSandbox({ urlTemplate: server.urlTemplate });
    server.playScript("live_one", script, { heldAtStart: 6 });
    const result = await collect(spawnCli(sandbox, ["record", "live_one"], { env: LIVE }));
    assert.equal(result.code, 0, result.stderr.slice(-2000));
    const { mp4, entry } = await delivered(sandbox);
    const frames = await frameHashes(mp4);
    assert.deepEqual(repeatedFrames(frames), [], "no frame twice");
    assert.deepEqual(frames, await frameHashesOf(segments, sandbox.home), "every frame once");
    assert.equal(entry.coverage.delivered_by, "live", liveLines(result.stderr));
    assert.deepEqual(await listDir(sandbox.tempDir), [], "nothing left in the session folder");
  } finally {
    await server.close();
  }
});

Deno.test("live_remux drops the head a restarted streamlink repeats", async () => {
  const { script, segments } = await clipBroadcast(24);
  const server = await startHlsServer({ windowSize: 8, endGraceMs: 2000 });
  const killed = new Set<number>();
  try {
    await using sandbox = await makeSandbox({ urlTemplate: server.urlTemplate });
    server.playScript("live_crashy", script);
    const recorder = spawnCli(sandbox, ["record", "live_crashy"], { env: LIVE });
    const eight = segments.slice(0, 8).reduce((sum, seg) => sum + seg.byteLength, 0);
    const streamlink = await eventually("streamlink with 8 s written", async () => {
      const part = join(
        sandbox.tempDir,
        (await listDir(sandbox.tempDir))
          .find((name) => name.endsWith("_part01.ts")) ?? "none",
      );
      const size = (await Deno.stat(part).catch(() => undefined))?.size ?? 0;
      // The part's streamlink only: the live ffmpeg's argv names the session folder too.
      const pids = await pidsWith(part);
      return size >= eight && pids.length > 0 ? pids : undefined;
    }, 60_000);
    for (const pid of streamlink) {
      Deno.kill(pid, "SIGKILL");
      killed.add(pid);
    }
    const result = await collect(recorder);
    assert.equal(result.code, 0, result.stderr.slice(-2000));
    const { mp4, entry } = await delivered(sandbox);
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
