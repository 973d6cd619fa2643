/**
 * End-to-end: `record --chat` against the local HLS stream and a fake Twitch chat on loopback.
 * The chat file must be TwitchDownloader's shape, hold what was said while live, and place
 * each message where its moment is in the delivered file: the test HLS server publishes
 * segment `s` of a session at `s` seconds after going live, and segment `s` carries the
 * timestamps of cached segment `s`, so a part's first timestamp tells which broadcast second
 * the delivered file starts with.
 */
import { eventually } from "../testing/eventually.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { isSessionCaptureAlive } from "../src/state/capture_lock.ts";
import { runCommand } from "../src/proc/spawn.ts";
import type { ChatComment } from "../src/chat/chat_archive.ts";
import { tsTimeRange } from "../src/util/media_duration.ts";
import {
  collect,
  defaultConfig,
  ffprobe,
  killLeftovers,
  listDir,
  makeSandbox,
  pollerSection,
  runCli,
  spawnCli,
  statusJson,
} from "../testing/cli.ts";
import { startChatServer } from "../testing/chat_server.ts";
import { startHlsServer } from "../testing/hls_server.ts";
import { piecesScript } from "../testing/clips.ts";
import { sleep, waitForState, withHlsServer } from "../testing/live.ts";
import { ensureSegments } from "../testing/segments.ts";

/**
 * How far a message may land from its moment in the file: the placement is good to a segment
 * (1 s here, docs/chat.md), and the samples it rests on are taken on a machine that also runs
 * other tests. An ad, an outage or a dropped repeat placed wrongly is off by seconds more.
 */
const PLACEMENT_TOLERANCE_S = 1.5;

interface Sent {
  readonly id: string;
  readonly sentAt: number;
}

/** Timestamp of the first video packet of an MPEG-TS file, seconds. */
async function firstVideoPts(path: string): Promise<number> {
  const result = await runCommand("ffprobe", [
    "-v",
    "error",
    "-select_streams",
    "v:0",
    "-show_entries",
    "packet=pts_time",
    "-read_intervals",
    "%+#1",
    "-of",
    "csv=p=0",
    path,
  ]);
  const value = Number(result.stdout.trim().split("\n")[0]?.replace(/,$/, ""));
  assert.ok(Number.isFinite(value), `no pts in ${path}: ${result.stderr}`);
  return value;
}

/** Keeps the first part's bytes after finalize deletes its name (a second hard link). */
async function keepFirstPart(tempDir: string, keep: string): Promise<void> {
  const part = await eventually("the first part", async () => {
    const name = (await listDir(tempDir)).find((n) => n.endsWith("_part01.ts"));
    return name ? join(tempDir, name) : undefined;
  });
  await Deno.link(part, keep);
}

async function readChat(recordDir: string) {
  const name = await eventually("the chat file", async () => {
    return (await listDir(recordDir)).find((n) => n.endsWith(".chat.json"));
  });
  const mp4 = (await listDir(recordDir)).find((n) => n.endsWith(".mp4"));
  assert.equal(name.replace(".chat.json", ".mp4"), mp4, "named after the recording");
  return JSON.parse(await Deno.readTextFile(join(recordDir, name)));
}

Deno.test("record --chat writes TwitchDownloader chat JSON with offsets on the delivered file", async () => {
  await withHlsServer(async (server) => {
    const chat = startChatServer();
    await using sandbox = await makeSandbox({
      urlTemplate: server.urlTemplate,
      extraConfig: `\n[chat]\nurl = "${chat.url}"\n`,
    });
    try {
      server.goLive("alice");
      const wentLive = Date.now();
      const recorder = spawnCli(sandbox, ["record", "alice", "--chat"]);
      const keep = join(sandbox.home, "part01.ts");
      await keepFirstPart(sandbox.tempDir, keep);
      await waitForState(sandbox, "alice", "capturing");
      await chat.joined("alice");
      const sent: Sent[] = [];
      const say = (login: string, text: string, tags?: Record<string, string>) =>
        sent.push(chat.say("alice", login, text, tags));
      say("bob", "Kappa hello Kappa", { emotes: "25:0-4,12-16", color: "#1E90FF" });
      say("carol", "\u0001ACTION waves\u0001", { badges: "moderator/1,subscriber/12" });
      await sleep(1500);
      say("dave", "this gets deleted");
      chat.raw(
        `@login=dave;room-id=4242;target-msg-id=${sent[2]!.id};tmi-sent-ts=${Date.now()} ` +
          ":tmi.twitch.tv CLEARMSG #alice :this gets deleted",
      );
      chat.ping();
      await sleep(1500);
      chat.reconnect();
      await eventually("a reconnect", () => Promise.resolve(chat.connections >= 2 || undefined));
      await chat.joined("alice");
      say("erin", "after the reconnect");
      await sleep(1500);
      chat.drop();
      await eventually(
        "a new connection",
        () => Promise.resolve(chat.connections >= 3 || undefined),
      );
      await chat.joined("alice");
      for (let i = 0; i < 4; i++) {
        say(`viewer${i}`, `message ${i}`);
        await sleep(700);
      }
      await eventually("status to count the chat", async () => {
        const status = await statusJson(sandbox);
        const recordings = status.recordings as { chat_messages?: number }[];
        return recordings.find((r) => r.chat_messages === sent.length);
      });
      server.end("alice");
      const result = await collect(recorder);
      assert.equal(result.code, 0, result.stderr);

      const archive = await readChat(sandbox.recordDir);
      assert.deepEqual(archive.streamer, { name: "alice", id: 4242 });
      assert.equal(archive.video.start, 0);
      assert.ok(archive.video.end > 5, `video.end ${archive.video.end}`);
      assert.equal(chat.pongs, 1, "PING answered");
      const comments = archive.comments as ChatComment[];
      assert.deepEqual(
        comments.map((c) => c._id),
        sent.map((s) => s.id),
        "every message, in order",
      );
      for (const comment of comments) {
        for (
          const field of ["_id", "created_at", "content_offset_seconds", "commenter", "message"]
        ) {
          assert.ok((comment as unknown as Record<string, unknown>)[field] !== undefined, field);
        }
        assert.deepEqual(Object.keys(comment.commenter).sort(), ["_id", "display_name", "name"]);
        assert.ok(Array.isArray(comment.message.fragments) && comment.message.fragments.length > 0);
        assert.ok(Array.isArray(comment.message.user_badges));
        assert.notEqual(comment.message.user_color, "");
      }
      const [kappa, wave, deleted] = comments;
      assert.deepEqual(
        kappa!.message.fragments.map((f) => [f.text, f.emoticon?.emoticon_id]),
        [
          ["Kappa", "25"],
          [" hello ", undefined],
          ["Kappa", "25"],
        ],
      );
      assert.equal(kappa!.message.user_color, "#1E90FF");
      assert.equal(wave!.message.user_color, null);
      assert.equal(wave!.message.is_action, true);
      assert.equal(wave!.message.body, "waves");
      assert.deepEqual(wave!.message.user_badges, [
        { _id: "moderator", version: "1" },
        { _id: "subscriber", version: "12" },
      ]);
      assert.equal(deleted!.state, "deleted");
      assert.equal(comments.filter((c) => c.state === "deleted").length, 1);

      const segments = await ensureSegments();
      const firstSecond = Math.round(
        (await firstVideoPts(keep)) - (await firstVideoPts(segments.files[0]!)),
      );
      for (const [i, comment] of comments.entries()) {
        const moment = (sent[i]!.sentAt - wentLive) / 1000 - firstSecond;
        assert.ok(
          Math.abs(comment.content_offset_seconds - moment) <= PLACEMENT_TOLERANCE_S,
          `message ${i} at ${comment.content_offset_seconds} s, its moment is at ${moment} s`,
        );
      }
      assert.deepEqual(await listDir(sandbox.tempDir), [], "journal folded and removed");
    } finally {
      await chat.close();
    }
  });
});

Deno.test("chat offsets follow the delivered file across an outage; outage messages land at the gap", async () => {
  await withHlsServer(async (server) => {
    const chat = startChatServer();
    await using sandbox = await makeSandbox({
      urlTemplate: server.urlTemplate,
      retryWindow: 15,
      extraConfig: `\n[chat]\nenabled = true\nurl = "${chat.url}"\n`,
    });
    try {
      server.goLive("olga");
      const wentLive = Date.now();
      const recorder = spawnCli(sandbox, ["record", "olga"]);
      const keep1 = join(sandbox.home, "part01.ts");
      await keepFirstPart(sandbox.tempDir, keep1);
      await waitForState(sandbox, "olga", "capturing");
      await chat.joined("olga");
      const before: Sent[] = [];
      for (let i = 0; i < 4; i++) {
        before.push(chat.say("olga", `a${i}`, `before ${i}`));
        await sleep(600);
      }
      const offlineAt = Date.now();
      server.goOffline("olga");
      await waitForState(sandbox, "olga", "waiting");
      const during = chat.say("olga", "zed", "during the outage");
      await sleep(500);
      server.goLive("olga");
      const liveAgain = Date.now();
      const part2 = await eventually("the second part", async () => {
        const name = (await listDir(sandbox.tempDir)).find((n) => n.endsWith("_part02.ts"));
        return name ? join(sandbox.tempDir, name) : undefined;
      });
      const keep2 = join(sandbox.home, "part02.ts");
      await Deno.link(part2, keep2);
      await waitForState(sandbox, "olga", "capturing");
      await sleep(2000);
      const after: Sent[] = [];
      for (let i = 0; i < 4; i++) {
        after.push(chat.say("olga", `b${i}`, `after ${i}`));
        await sleep(600);
      }
      await sleep(1000);
      server.end("olga");
      const result = await collect(recorder);
      assert.equal(result.code, 0, result.stderr);

      const archive = await readChat(sandbox.recordDir);
      const byId = new Map(
        (archive.comments as { _id: string; content_offset_seconds: number }[])
          .map((c) => [c._id, c.content_offset_seconds]),
      );
      assert.equal(byId.size, before.length + 1 + after.length);
      const base = await firstVideoPts((await ensureSegments()).files[0]!);
      const first1 = Math.round((await firstVideoPts(keep1)) - base);
      const part2Start = (await firstVideoPts(keep2)) - (await firstVideoPts(keep1));
      assert.ok(part2Start > 0, "the parts are in order on the broadcast's clock");
      // The delivered file spans both parts on that clock: the short hole between them is kept.
      const [range1, range2] = [await tsTimeRange(keep1), await tsTimeRange(keep2)];
      const mp4 = (await listDir(sandbox.recordDir)).find((n) => n.endsWith(".mp4"))!;
      const delivered = (await ffprobe(join(sandbox.recordDir, mp4))).duration;
      assert.ok(
        Math.abs(delivered - (range2!.end - range1!.start)) < 1.5,
        `delivered ${delivered} s, parts span ${range2!.end - range1!.start} s`,
      );
      // Session 2 of the test origin continues the sequence numbers where session 1 stopped.
      const session2Start = Math.floor((offlineAt - wentLive) / 1000) + 1;
      const check = (sent: Sent, moment: number) => {
        const offset = byId.get(sent.id)!;
        assert.ok(
          Math.abs(offset - moment) <= PLACEMENT_TOLERANCE_S,
          `${sent.id} at ${offset} s, expected ${moment} s`,
        );
      };
      for (const sent of before) check(sent, (sent.sentAt - wentLive) / 1000 - first1);
      for (const sent of after) {
        check(sent, session2Start + (sent.sentAt - liveAgain) / 1000 - first1);
      }
      check(during, part2Start);
    } finally {
      await chat.close();
    }
  });
});

Deno.test("a recorder killed with -9 loses at most the last seconds of chat after recover", async () => {
  await withHlsServer(async (server) => {
    const chat = startChatServer();
    await using sandbox = await makeSandbox({
      urlTemplate: server.urlTemplate,
      retryWindow: 60,
      extraConfig: `\n[chat]\nenabled = true\nurl = "${chat.url}"\n`,
    });
    try {
      server.goLive("kill_chat");
      const recorder = spawnCli(sandbox, ["record", "kill_chat"]);
      await waitForState(sandbox, "kill_chat", "capturing");
      await chat.joined("kill_chat");
      const sent: Sent[] = [];
      for (let i = 0; i < 12; i++) {
        sent.push(chat.say("kill_chat", `v${i}`, `line ${i}`));
        await sleep(500);
      }
      const killedAt = Date.now();
      recorder.kill("SIGKILL");
      await collect(recorder);
      server.end("kill_chat");
      const base = (await listDir(sandbox.tempDir)).find((n) => n.endsWith(".session.json"))!
        .replace(".session.json", "");
      await eventually(
        "streamlink to exit",
        async () => !(await isSessionCaptureAlive(sandbox.runtimeDir, base)),
      );
      const result = await runCli(sandbox, ["recover"]);
      assert.equal(result.code, 0, result.stderr);
      const archive = await readChat(sandbox.recordDir);
      const kept = new Set((archive.comments as { _id: string }[]).map((c) => c._id));
      const lost = sent.filter((s) => !kept.has(s.id));
      assert.ok(
        lost.every((s) => killedAt - s.sentAt <= 5000),
        `lost ${lost.map((s) => `${killedAt - s.sentAt} ms before the kill`).join(", ")}`,
      );
      assert.ok(kept.size >= sent.length - 10, `kept ${kept.size} of ${sent.length}`);
    } finally {
      await chat.close();
    }
  });
});

Deno.test("a poller-hosted recording captures chat, and the next poller adopts its journal", async () => {
  const hls = await startHlsServer({ endGraceMs: 1200 });
  const chat = startChatServer();
  await using sandbox = await makeSandbox();
  const configPath = join(sandbox.home, "poller.toml");
  const usersFile = join(sandbox.home, "channels.txt");
  const pids = new Set<number>();
  let poller: Deno.ChildProcess | undefined;
  const recordings = async () => {
    const result = await runCli(sandbox, ["--config", configPath, "status", "--json"]);
    const parsed = JSON.parse(result.stdout) as { recordings: { pid: number; bytes: number }[] };
    for (const r of parsed.recordings) pids.add(r.pid);
    return parsed.recordings;
  };
  const startPoller = async () => {
    poller = spawnCli(sandbox, ["--config", configPath, "poller", "run"]);
    pids.add(poller.pid);
    const pid = poller.pid;
    await eventually(
      `capturing in poller ${pid}`,
      async () => (await recordings()).some((r) => r.pid === pid && r.bytes > 0),
      300_000,
    );
  };
  const stopPoller = async () => {
    poller!.kill("SIGTERM");
    const result = await collect(poller!);
    poller = undefined;
    assert.equal(result.code, 0, result.stderr);
  };
  try {
    await Deno.writeTextFile(
      configPath,
      defaultConfig(
        sandbox,
        hls.urlTemplate,
        pollerSection(usersFile) +
          `\n[chat]\nenabled = true\nurl = "${chat.url}"\n`,
      ),
    );
    await Deno.writeTextFile(usersFile, "hosted_chat\n");
    hls.goLive("hosted_chat");
    await startPoller();
    await chat.joined("hosted_chat");
    const sent: Sent[] = [];
    for (let i = 0; i < 3; i++) {
      sent.push(chat.say("hosted_chat", `first${i}`, `before the restart ${i}`));
      await sleep(600);
    }
    await sleep(1500);
    await stopPoller();
    await startPoller();
    await eventually(
      "the chat rejoined",
      () => Promise.resolve(chat.connections >= 2 || undefined),
    );
    await chat.joined("hosted_chat");
    for (let i = 0; i < 3; i++) {
      sent.push(chat.say("hosted_chat", `second${i}`, `after the restart ${i}`));
      await sleep(600);
    }
    await sleep(1000);
    hls.end("hosted_chat");
    await eventually(
      "the recording finished",
      async () => (await recordings()).length === 0,
      300_000,
    );
    await stopPoller();
    const archive = await readChat(sandbox.recordDir);
    assert.deepEqual(
      (archive.comments as { _id: string }[]).map((c) => c._id),
      sent.map((s) => s.id),
      "the chat of both pollers in one file",
    );
  } finally {
    if (poller) {
      poller.kill("SIGTERM");
      await collect(poller);
    }
    killLeftovers(pids);
    await chat.close();
    await hls.close();
  }
});

Deno.test("chat offsets stay on the delivered file across an ad on its own clock that finalize closes", async () => {
  const pieces = [
    { offset: 1000, seconds: 8 },
    { offset: 30, seconds: 8, ad: true },
    { offset: 1008, seconds: 8 },
  ];
  const script = await piecesScript(pieces);
  const server = await startHlsServer({ windowSize: 30, endGraceMs: 2000 });
  const chat = startChatServer();
  try {
    await using sandbox = await makeSandbox({
      urlTemplate: server.urlTemplate,
      extraConfig: `\n[chat]\nenabled = true\nurl = "${chat.url}"\n`,
    });
    server.playScript("ad_chat", script);
    const recorder = spawnCli(sandbox, ["record", "ad_chat"]);
    // The scripted broadcast starts with its first playlist request, and streamlink starts at
    // its first segment: the delivered file's 0 is that moment.
    const startedAt = await eventually("the first playlist request", () => {
      return Promise.resolve(server.stats("ad_chat").playlistRequests > 0 ? Date.now() : undefined);
    }, 60_000);
    await chat.joined("ad_chat");
    const sent: Sent[] = [];
    for (const at of [4, 7, 10, 13, 17, 20]) {
      await sleep(Math.max(0, startedAt + at * 1000 - Date.now()));
      sent.push(chat.say("ad_chat", `v${at}`, `at ${at} s`));
    }
    const result = await collect(recorder);
    assert.equal(result.code, 0, result.stderr);
    const archive = await readChat(sandbox.recordDir);
    const mp4 = (await listDir(sandbox.recordDir)).find((n) => n.endsWith(".mp4"))!;
    const delivered = (await ffprobe(join(sandbox.recordDir, mp4))).duration;
    assert.ok(Math.abs(delivered - 24) < 1.5, `the ad stays in the file: ${delivered} s`);
    const offsets = new Map(
      (archive.comments as ChatComment[]).map((c) => [c._id, c.content_offset_seconds]),
    );
    for (const message of sent) {
      const moment = (message.sentAt - startedAt) / 1000;
      const offset = offsets.get(message.id);
      assert.ok(
        offset !== undefined && Math.abs(offset - moment) <= PLACEMENT_TOLERANCE_S,
        `sent at ${moment} s, placed at ${offset} s`,
      );
    }
  } finally {
    await chat.close();
    await server.close();
  }
});
