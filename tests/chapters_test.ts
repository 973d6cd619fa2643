/**
 * End-to-end: a recording hosted by the real `poller run`, detecting through the fake Twitch
 * GraphQL endpoint whose answer changes the broadcast's title mid-recording. The delivered
 * `.mp4` gets one chapter per title at the right times (`ffprobe -show_chapters`), the encode
 * keeps them, and `<base>.info.json` records the broadcast.
 */
import { eventually } from "../testing/eventually.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { encodeArgs } from "../src/proc/ffmpeg_args.ts";
import { runCommand } from "../src/proc/spawn.ts";
import {
  type CliResult,
  collect,
  defaultConfig,
  killLeftovers,
  listDir,
  makeSandbox,
  pollerSection,
  runCli,
  spawnCli,
} from "../testing/cli.ts";
import { startGqlServer } from "../testing/gql_server.ts";
import { startHlsServer } from "../testing/hls_server.ts";
import { sleep } from "../testing/live.ts";
import { ensureSegments } from "../testing/segments.ts";
import type { StatusSnapshot } from "../src/state/status_snapshot.ts";

interface Chapter {
  start_time: string;
  end_time: string;
  tags?: { title?: string };
}

async function chaptersOf(path: string): Promise<Chapter[]> {
  const result = await runCommand("ffprobe", [
    "-v",
    "error",
    "-show_chapters",
    "-of",
    "json",
    path,
  ]);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout).chapters ?? [];
}

async function firstVideoPts(path: string): Promise<number> {
  const result = await runCommand("ffprobe", [
    ...["-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time"],
    ...["-read_intervals", "%+#1", "-of", "csv=p=0", path],
  ]);
  return Number(result.stdout.trim().split("\n")[0]?.replace(/,$/, ""));
}

Deno.test("a title change during a poller-hosted recording becomes a chapter, kept by the encode; info.json beside", async () => {
  const hls = await startHlsServer({ endGraceMs: 1200 });
  const gql = startGqlServer();
  await using sandbox = await makeSandbox();
  const configPath = join(sandbox.home, "poller.toml");
  const usersFile = join(sandbox.home, "channels.txt");
  const pids = new Set<number>();
  let poller: { process: Deno.ChildProcess; result: Promise<CliResult> } | undefined;
  const recordings = async () => {
    const result = await runCli(sandbox, ["--config", configPath, "status", "--json"]);
    const parsed = JSON.parse(result.stdout) as StatusSnapshot;
    for (const r of parsed.recordings) pids.add(r.pid);
    return parsed.recordings;
  };
  try {
    await Deno.writeTextFile(
      configPath,
      defaultConfig(
        sandbox,
        hls.urlTemplate,
        pollerSection(usersFile) +
          `\n[twitch]\ndetect = "gql"\ngql_url = "${gql.url}"\n`,
      ),
    );
    await Deno.writeTextFile(usersFile, "tina\n");
    gql.setTitle("tina", "First title", "Game A");
    hls.goLive("tina");
    const wentLive = Date.now();
    gql.goLive("tina", "stream-77", new Date(wentLive).toISOString());
    const process = spawnCli(sandbox, ["--config", configPath, "poller", "run"]);
    poller = { process, result: collect(process) };
    const part = await eventually("the first part", async () => {
      const name = (await listDir(sandbox.tempDir)).find((n) => n.endsWith("_part01.ts"));
      return name ? join(sandbox.tempDir, name) : undefined;
    }, 300_000);
    const keep = join(sandbox.home, "part01.ts");
    await Deno.link(part, keep);
    await eventually(
      "data flowing",
      async () => (await recordings()).some((r) => r.bytes > 0),
      60_000,
    );
    await sleep(4000);
    const changedAt = Date.now();
    gql.setTitle("tina", "Second title", "Game B");
    await sleep(6000);
    hls.end("tina");
    gql.goOffline("tina");
    await eventually(
      "the recording finished",
      async () => (await recordings()).length === 0,
      300_000,
    );
    poller.process.kill("SIGTERM");
    const stopped = await poller.result;
    poller = undefined;
    assert.equal(stopped.code, 0, stopped.stderr);

    const files = await listDir(sandbox.recordDir);
    const mp4 = join(sandbox.recordDir, files.find((n) => /^tina_.*\d\.mp4$/.test(n))!);
    const chapters = await chaptersOf(mp4);
    assert.deepEqual(chapters.map((c) => c.tags?.title), [
      "First title (Game A)",
      "Second title (Game B)",
    ]);
    // Written into the file made while recording (record/live_header.ts), not by a pass after.
    const history = JSON.parse(
      (await runCli(sandbox, ["--config", configPath, "history", "--json"])).stdout,
    );
    assert.equal(history.recordings[0].coverage.delivered_by, "live", JSON.stringify(history));
    const segments = await ensureSegments();
    const firstSecond = Math.round(
      (await firstVideoPts(keep)) - (await firstVideoPts(segments.files[0]!)),
    );
    const changeMoment = (changedAt - wentLive) / 1000 - firstSecond;
    const boundary = Number(chapters[1]!.start_time);
    assert.equal(Number(chapters[0]!.start_time), 0);
    assert.equal(Number(chapters[0]!.end_time), boundary);
    // Seen at the next poll (1 s interval), give or take the sampling's second.
    assert.ok(
      boundary >= changeMoment - 1 && boundary <= changeMoment + 3,
      `chapter at ${boundary} s, the title changed at ${changeMoment} s`,
    );

    const info = JSON.parse(
      await Deno.readTextFile(mp4.replace(/\.mp4$/, ".info.json")),
    );
    assert.equal(info.channel, "tina");
    assert.equal(info.stream_id, "stream-77");
    assert.equal(info.live_since, new Date(wentLive).toISOString());
    assert.equal(info.recording, mp4.split("/").at(-1));
    assert.deepEqual(
      info.titles.map((t: { title: string; game: string }) => [t.title, t.game]),
      [["First title", "Game A"], ["Second title", "Game B"]],
    );
    assert.equal(info.parts.length, 1);
    assert.deepEqual(info.gaps, []);
    assert.equal(info.chat_messages, null, "chat was off");
    assert.ok(!files.some((n) => n.endsWith(".chat.json")), "no chat file with chat off");

    const encoded = join(sandbox.home, "encoded.mp4");
    const encode = await runCommand(
      "ffmpeg",
      encodeArgs({
        input: mp4,
        output: encoded,
        videoCodec: "libx264",
        preset: "ultrafast",
        crf: 35,
        threads: 1,
        height: 120,
        fps: "auto",
        audioBitrate: "64k",
        loglevel: "error",
      }),
    );
    assert.equal(encode.code, 0, encode.stderr);
    assert.deepEqual(
      (await chaptersOf(encoded)).map((c) => [c.tags?.title, c.start_time]),
      chapters.map((c) => [c.tags?.title, c.start_time]),
    );
  } finally {
    if (poller) {
      poller.process.kill("SIGTERM");
      await poller.result;
    }
    killLeftovers(pids);
    await gql.close();
    await hls.close();
  }
});
