/**
 * End-to-end: `record` and the encoder on broadcasts shaped like real Twitch streams (ads on
 * their own clock, encoder restarts, resolution changes, filtered-ad gaps, 33-bit timestamp
 * wraps, fMP4 H.264 with an outage, HEVC fMP4), played by scripted channels of the test HLS
 * server to real streamlink, finalized by real ffmpeg. Scenarios share nothing and run at once;
 * `SHAPES=ad,hevc` runs only the named ones (when debugging one).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { roleFlags } from "../src/permissions.ts";
import { measureContent } from "../src/proc/media_content.ts";
import { type BroadcastPiece, ensureClip, piecesScript } from "../testing/clips.ts";
import { concatBytes } from "../testing/frames.ts";
import { collect, ffprobe, listDir, makeSandbox, runCli, spawnCli } from "../testing/cli.ts";
import { startHlsServer } from "../testing/hls_server.ts";

/** A run of a clip's segments in the script. */
interface Scenario {
  readonly name: string;
  readonly pieces: readonly BroadcastPiece[];
  /** Longest hole the result may keep (an outage played on our side). */
  readonly allowedHole?: number;
  /** `--output-dir`, relative to the sandbox's home. */
  readonly outputDir?: string;
}

const LEAD: BroadcastPiece = { offset: 1000, seconds: 8 };

const SCENARIOS: Scenario[] = [
  {
    name: "ad",
    pieces: [LEAD, { offset: 30, seconds: 4, ad: true }, { offset: 1008, seconds: 5 }],
  },
  { name: "restart", pieces: [LEAD, { offset: 0, seconds: 6 }] },
  { name: "resize", pieces: [LEAD, { offset: 1008, seconds: 5, size: "640x360" }] },
  { name: "gap", pieces: [LEAD, { offset: 1038, seconds: 5 }] },
  { name: "wrap", pieces: [{ offset: 95_436, seconds: 14 }] },
  {
    name: "fmp4",
    pieces: [{ offset: 1000, seconds: 14, fmp4: true, missing: [8] }],
    allowedHole: 1.5,
  },
  { name: "hevc", pieces: [{ offset: 1000, seconds: 12, fmp4: true, codec: "hevc" }] },
  {
    // No path is ever written into a list file: a newline in record_dir must not lose the .mp4.
    name: "newline",
    pieces: [LEAD, { offset: 30, seconds: 4, ad: true }, { offset: 1008, seconds: 5 }],
    outputDir: "Videos/new\nline 'q'",
  },
];

async function runScenario(scenario: Scenario): Promise<void> {
  const script = await piecesScript(scenario.pieces);
  const server = await startHlsServer({ windowSize: 30, endGraceMs: 2000 });
  try {
    await using sandbox = await makeSandbox({ urlTemplate: server.urlTemplate });
    const user = `shape_${scenario.name}`;
    server.playScript(user, script);
    const recordDir = scenario.outputDir
      ? join(sandbox.home, scenario.outputDir)
      : sandbox.recordDir;
    const options = scenario.outputDir ? ["--output-dir", recordDir] : [];
    const result = await collect(spawnCli(sandbox, ["record", user, ...options]));
    const where = `${scenario.name}: ${result.stderr.slice(-2000)}`;
    assert.equal(result.code, 0, where);
    const files = await listDir(recordDir);
    const finals = files.filter((name) => name.endsWith(".mp4"));
    assert.equal(finals.length, 1, `${scenario.name}: one .mp4 in ${files}`);
    assert.deepEqual(files.filter((name) => name.endsWith(".ts")), [], scenario.name);
    const mp4 = join(recordDir, finals[0]!);
    const broadcast = server.stats(user).mediaSeconds;
    const content = await measureContent(mp4);
    assert.ok(content?.video && content.audio, `${scenario.name}: audio and video`);
    const { video } = content;
    assert.deepEqual(content.timelineProblems, [], scenario.name);
    const frames = video.packets / 30;
    assert.ok(Math.abs(frames - broadcast) <= 2, `${scenario.name}: ${frames} s of ${broadcast}`);
    const claimed = (await ffprobe(mp4)).duration;
    assert.ok(
      Math.abs(claimed - frames) <= 2,
      `${scenario.name}: claims ${claimed} s, holds ${frames}`,
    );
    const span = video.last - video.first;
    assert.ok(
      Math.abs(span - broadcast) <= 2 + (scenario.allowedHole ?? 0),
      `${scenario.name}: spans ${span}`,
    );
    assert.ok(
      video.longestHole <= (scenario.allowedHole ?? 1),
      `${scenario.name}: ${video.longestHole} s hole`,
    );
    if (scenario.name === "hevc") assert.equal(video.codec, "hevc");
    const decode = await new Deno.Command("ffmpeg", {
      args: ["-v", "error", "-i", mp4, "-f", "null", "-"],
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.equal(new TextDecoder().decode(decode.stderr).trim(), "", `${scenario.name} decodes`);
    const left = await listDir(join(recordDir, "temp"));
    assert.deepEqual(left, [], `${scenario.name}: parts and manifest removed`);
    const jobs = (await listDir(sandbox.jobsDir)).filter((name) => name.endsWith(".json"));
    assert.equal(jobs.length, 1, `${scenario.name}: one job`);

    const encoded = await runCli(
      sandbox,
      ["encode-daemon", "run", "--exit-when-empty", "--preset", "ultrafast"],
      { flags: roleFlags("encoder") },
    );
    assert.equal(encoded.code, 0, `${scenario.name}: ${encoded.stderr}`);
    const copy = await measureContent(mp4.replace(/\.mp4$/, "_compressed.mp4"));
    assert.ok(copy?.video && copy.audio, `${scenario.name}: encoded copy`);
    assert.ok(
      Math.abs(copy.duration - content.duration) <= 2,
      `${scenario.name}: ${copy.duration}`,
    );
    // The sources are 180 lines (the resize scenario switches to 360): below `height` = 480, so
    // the encode keeps the source's own height instead of upscaling.
    assert.equal(copy.video.height, 180, `${scenario.name}: never upscaled`);
  } finally {
    await server.close();
  }
}

Deno.test("record + encoder make one correct .mp4 of Twitch-shaped broadcasts", async () => {
  for (const scenario of SCENARIOS) for (const piece of scenario.pieces) await ensureClip(piece);
  const only = Deno.env.get("SHAPES")?.split(",");
  const chosen = SCENARIOS.filter((s) => !only || only.includes(s.name));
  const results = await Promise.allSettled(chosen.map(runScenario));
  const failures = results.flatMap((r) => r.status === "rejected" ? [String(r.reason)] : []);
  assert.deepEqual(failures, []);
});

Deno.test("recover keeps everything before the cut of an fMP4 part killed mid-fragment", async () => {
  const clip = await ensureClip({ offset: 1000, seconds: 14, fmp4: true });
  await using sandbox = await makeSandbox({ urlTemplate: "hls://http://127.0.0.1:9/{user}" });
  await Deno.mkdir(sandbox.tempDir, { recursive: true });
  const base = "fmp4user_2026-01-02_03-04-05";
  const init = clip.init!;
  await Deno.writeFile(
    join(sandbox.tempDir, `${base}_part01.ts`),
    concatBytes([init, ...clip.segments.slice(0, 3)]),
  );
  const cut = clip.segments[6]!.subarray(0, clip.segments[6]!.byteLength / 2);
  await Deno.writeFile(
    join(sandbox.tempDir, `${base}_part02.ts`),
    concatBytes([init, ...clip.segments.slice(3, 6), cut]),
  );
  const result = await runCli(sandbox, ["recover"]);
  assert.equal(result.code, 0, result.stderr);
  const mp4 = join(sandbox.recordDir, `${base}.mp4`);
  const content = await measureContent(mp4);
  assert.equal(content?.video?.packets, 180, "the six whole seconds before the cut");
  assert.deepEqual(content?.timelineProblems, []);
  assert.deepEqual(await listDir(sandbox.tempDir), []);
  assert.equal((await listDir(sandbox.jobsDir)).filter((n) => n.endsWith(".json")).length, 1);
});
