/**
 * End-to-end: back-fill from the broadcast's VOD (`[twitch] backfill = true`). The real `record`
 * command with real streamlink against scripted broadcasts of the test HLS server, whose VOD
 * (an EVENT playlist growing with the broadcast, then ENDLIST) is served from the same segment
 * bytes; the delivered `.mp4` decoded frame by frame and matched against the source's frames.
 * An outage longer than the live window and a start beyond it are filled; a VOD that cannot be
 * fetched, or back-fill off, leave the recording as it is without back-fill, the reason in the
 * encode job's note.
 */
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
  type Sandbox,
  spawnCli,
} from "../testing/cli.ts";
import { startGqlServer } from "../testing/gql_server.ts";
import { eventually } from "../testing/eventually.ts";
import { frameHashes, frameHashesOf, framesMissing, repeatedFrames } from "../testing/frames.ts";
import { type LiveHlsServer, startHlsServer } from "../testing/hls_server.ts";

/** A sandbox whose config turns back-fill on (or not) with the test server's VOD URL. */
function sandboxFor(server: LiveHlsServer, backfill: boolean): Promise<Sandbox> {
  return makeSandbox({
    urlTemplate: server.urlTemplate,
    retryWindow: 25,
    extraConfig:
      `\n[twitch]\nbackfill = ${backfill}\nvod_url_template = "${server.vodUrlTemplate}"\n`,
  });
}

/** What the poller hands a recorder: the broadcast, when it went live, its VOD. */
function broadcastEnv(liveSince: Date, vodId?: string): Record<string, string> {
  return {
    TWITCHTOOL_STREAM_ID: "4242",
    TWITCHTOOL_LIVE_SINCE: liveSince.toISOString(),
    ...(vodId ? { TWITCHTOOL_VOD_ID: vodId } : {}),
  };
}

/** The delivered .mp4, its `history --json` entry and the encode job's note. */
async function delivered(sandbox: Sandbox) {
  const { mp4, entry } = await deliveredRecording(sandbox);
  const jobs = (await listDir(sandbox.jobsDir)).filter((name) => name.endsWith(".json"));
  assert.equal(jobs.length, 1, `jobs: ${jobs}`);
  const job = JSON.parse(await Deno.readTextFile(join(sandbox.jobsDir, jobs[0]!)));
  return {
    mp4,
    entry,
    note: job.note as string | undefined,
  };
}

/**
 * Records `user` through an outage of 12 s after its first 8 s (longer than the 5-segment live
 * window, so the part after it cannot reach back over it). Returns the recorder's result.
 */
async function recordThroughOutage(
  server: LiveHlsServer,
  sandbox: Sandbox,
  user: string,
  env: Record<string, string>,
  segments: readonly Uint8Array[],
) {
  const eight = segments.slice(0, 8).reduce((sum, seg) => sum + seg.byteLength, 0);
  const recorder = spawnCli(sandbox, ["record", user], { env });
  await eventually("8 s captured", async () => {
    const parts = (await listDir(sandbox.tempDir)).filter((name) => name.endsWith("01.ts"));
    const size = parts[0]
      ? (await Deno.stat(join(sandbox.tempDir, parts[0])).catch(() => undefined))?.size ?? 0
      : 0;
    return size >= eight ? true : undefined;
  }, 60_000);
  server.outage(user, 12);
  return await collect(recorder);
}

Deno.test("backfill fills an outage longer than the live window from the VOD", async () => {
  const { script, segments } = await clipBroadcast(34);
  const server = await startHlsServer({ windowSize: 5, endGraceMs: 2000 });
  try {
    await using sandbox = await sandboxFor(server, true);
    server.playScript("outage_vod", script);
    const env = broadcastEnv(new Date(), "outage_vod");
    const result = await recordThroughOutage(server, sandbox, "outage_vod", env, segments);
    assert.equal(result.code, 0, result.stderr.slice(-3000));
    const { mp4, entry, note } = await delivered(sandbox);
    const frames = await frameHashes(mp4);
    assert.deepEqual(repeatedFrames(frames), [], "no frame twice");
    assert.deepEqual(frames, await frameHashesOf(segments, sandbox.home), "every frame once");
    assert.ok(entry.coverage.backfilled_seconds >= 5, JSON.stringify(entry));
    assert.deepEqual(entry.coverage.gaps, [], JSON.stringify(entry));
    assert.equal(note, undefined);
  } finally {
    await server.close();
  }
});

Deno.test("backfill fills a start beyond the live window from the VOD", async () => {
  const { script, segments } = await clipBroadcast(22);
  const server = await startHlsServer({ windowSize: 5, endGraceMs: 2000 });
  try {
    await using sandbox = await sandboxFor(server, true);
    // Noticed 12 s after going live: the live playlist holds only seconds 8-12.
    server.playScript("late_vod", script, { heldAtStart: 12 });
    const liveSince = new Date(Date.now() - 12_000);
    const result = await collect(
      spawnCli(sandbox, ["record", "late_vod"], { env: broadcastEnv(liveSince, "late_vod") }),
    );
    assert.equal(result.code, 0, result.stderr.slice(-3000));
    const { mp4, entry, note } = await delivered(sandbox);
    const frames = await frameHashes(mp4);
    assert.deepEqual(repeatedFrames(frames), [], "no frame twice");
    assert.deepEqual(frames, await frameHashesOf(segments, sandbox.home), "from the first frame");
    assert.ok(entry.coverage.backfilled_seconds >= 5, JSON.stringify(entry));
    assert.equal(note, undefined);
    const history = await runCli(sandbox, ["history"]);
    assert.match(history.stdout, /complete, \S+ from the VOD/);
  } finally {
    await server.close();
  }
});

Deno.test("a VOD that cannot be fetched leaves the recording as without backfill, the reason in the job note", async () => {
  const { script, segments } = await clipBroadcast(34);
  const server = await startHlsServer({ windowSize: 5, endGraceMs: 2000 });
  try {
    await using sandbox = await sandboxFor(server, true);
    server.playScript("no_vod", script);
    // The API named a VOD the origin does not have.
    const env = broadcastEnv(new Date(), "gone_vod");
    const result = await recordThroughOutage(server, sandbox, "no_vod", env, segments);
    assert.equal(result.code, 0, result.stderr.slice(-3000));
    const { mp4, entry, note } = await delivered(sandbox);
    const frames = await frameHashes(mp4);
    const source = await frameHashesOf(segments, sandbox.home);
    assert.deepEqual(repeatedFrames(frames), [], "no frame twice");
    const missing = framesMissing(frames, source);
    assert.ok(missing !== undefined && missing > 0, `missing ${missing}`);
    assert.equal(entry.coverage.backfilled_seconds, 0, JSON.stringify(entry));
    assert.equal(entry.coverage.gaps.length, 1, JSON.stringify(entry));
    assert.match(note ?? "", /back-fill: .*VOD gone_vod cannot be fetched/);
    assert.deepEqual(
      (await listDir(sandbox.tempDir)).filter((name) => name.includes("_vod")),
      [],
      "no VOD download left behind",
    );
  } finally {
    await server.close();
  }
});

Deno.test("backfill off: an outage stays a hole, nothing fetched, no note", async () => {
  const { script, segments } = await clipBroadcast(34);
  const server = await startHlsServer({ windowSize: 5, endGraceMs: 2000 });
  try {
    await using sandbox = await sandboxFor(server, false);
    server.playScript("off_vod", script);
    const env = broadcastEnv(new Date(), "off_vod");
    const result = await recordThroughOutage(server, sandbox, "off_vod", env, segments);
    assert.equal(result.code, 0, result.stderr.slice(-3000));
    const { mp4, entry, note } = await delivered(sandbox);
    const frames = await frameHashes(mp4);
    const missing = framesMissing(frames, await frameHashesOf(segments, sandbox.home));
    assert.ok(missing !== undefined && missing > 0, `missing ${missing}`);
    assert.equal(entry.coverage.backfilled_seconds, 0, JSON.stringify(entry));
    assert.equal(entry.coverage.gaps.length, 1, JSON.stringify(entry));
    assert.equal(note, undefined);
  } finally {
    await server.close();
  }
});

Deno.test("a recording the poller hosts is back-filled from the archive video the GraphQL API reported", async () => {
  const { script, segments } = await clipBroadcast(22);
  const server = await startHlsServer({ windowSize: 5, endGraceMs: 2000 });
  const gql = startGqlServer();
  await using sandbox = await makeSandbox();
  const leftovers = new Set<number>();
  try {
    const configPath = await hostingConfig(
      sandbox,
      server.urlTemplate,
      ["hosted_vod"],
      `\n[twitch]\ndetect = "gql"\ngql_url = "${gql.url}"\nbackfill = true\n` +
        `vod_url_template = "${server.vodUrlTemplate}"\n`,
    );
    // Live for 12 s when the poller first looks: beyond the 5 s live window.
    server.playScript("hosted_vod", script, { heldAtStart: 12 });
    gql.goLive("hosted_vod", "777", new Date(Date.now() - 12_000).toISOString());
    gql.setVod("hosted_vod", "hosted_vod");
    const poller = spawnCli(sandbox, ["--config", configPath, "poller", "run"]);
    leftovers.add(poller.pid);
    const mp4s = await eventually("the hosted recording delivered", async () => {
      const found = await recordingsOf(sandbox.recordDir, "hosted_vod");
      return found.length > 0 ? found : undefined;
    }, 300_000);
    gql.goOffline("hosted_vod");
    poller.kill("SIGTERM");
    const result = await collect(poller);
    assert.equal(result.code, 0, result.stderr.slice(-2000));
    const frames = await frameHashes(mp4s[0]!);
    assert.deepEqual(repeatedFrames(frames), [], "no frame twice");
    assert.deepEqual(frames, await frameHashesOf(segments, sandbox.home), "from the first frame");
    const history = JSON.parse((await runCli(sandbox, ["history", "--json"])).stdout);
    assert.ok(history.recordings[0].coverage.backfilled_seconds >= 5, JSON.stringify(history));
  } finally {
    killLeftovers(leftovers);
    await gql.close();
    await server.close();
  }
});
