/**
 * End-to-end: the chat archive survives what a chat or a disk can do to it. A comment with an
 * absurd `tmi-sent-ts` is kept with its arrival time; a fold that fails (here: its destination
 * taken by a folder) leaves the journal for `recover`, which writes the chat and info later;
 * a `chat.url` that is not a WebSocket URL is a config error, not a recorder retrying forever.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { ChatComment } from "../src/chat/chat_archive.ts";
import { collect, listDir, makeSandbox, runCli, spawnCli } from "../testing/cli.ts";
import { startChatServer } from "../testing/chat_server.ts";
import { eventually } from "../testing/eventually.ts";
import { sleep, waitForState, withHlsServer } from "../testing/live.ts";

/** The delivered recording's stem (`<base>` or `<base>-1`...), from its `.mp4`. */
async function recordingStem(recordDir: string): Promise<string> {
  const mp4 = (await listDir(recordDir)).find((name) => name.endsWith(".mp4"));
  assert.ok(mp4, `no recording in ${await listDir(recordDir)}`);
  return mp4.replace(/\.mp4$/, "");
}

async function readJson(path: string) {
  return JSON.parse(await Deno.readTextFile(path));
}

Deno.test("a comment with an absurd tmi-sent-ts is kept with its arrival time; chat and info are written", async () => {
  await withHlsServer(async (server) => {
    const chat = startChatServer();
    await using sandbox = await makeSandbox({
      urlTemplate: server.urlTemplate,
      extraConfig: `\n[chat]\nurl = "${chat.url}"\n`,
    });
    try {
      server.goLive("bad_ts");
      const recorder = spawnCli(sandbox, ["record", "bad_ts", "--chat"]);
      await waitForState(sandbox, "bad_ts", "capturing");
      await chat.joined("bad_ts");
      const first = chat.say("bad_ts", "ann", "before");
      await sleep(500);
      const badAt = Date.now();
      const bad = chat.say("bad_ts", "bob", "from the far future", {
        "tmi-sent-ts": "99999999999999999999",
      });
      await sleep(500);
      const last = chat.say("bad_ts", "cat", "after");
      await sleep(2500);
      server.end("bad_ts");
      const result = await collect(recorder);
      assert.equal(result.code, 0, result.stderr);

      const stem = await recordingStem(sandbox.recordDir);
      const archive = await readJson(join(sandbox.recordDir, `${stem}.chat.json`));
      const comments = archive.comments as ChatComment[];
      assert.deepEqual(comments.map((c) => c._id), [first.id, bad.id, last.id]);
      const created = Date.parse(comments[1]!.created_at);
      assert.ok(Math.abs(created - badAt) < 10_000, `created_at ${comments[1]!.created_at}`);
      const info = await readJson(join(sandbox.recordDir, `${stem}.info.json`));
      assert.equal(info.chat_messages, 3);
      assert.deepEqual(await listDir(sandbox.tempDir), [], "journal folded and removed");
    } finally {
      await chat.close();
    }
  });
});

Deno.test("a chat fold that fails keeps its journal, and recover writes the chat and info later", async () => {
  await withHlsServer(async (server) => {
    const chat = startChatServer();
    await using sandbox = await makeSandbox({
      urlTemplate: server.urlTemplate,
      extraConfig: `\n[chat]\nenabled = true\nurl = "${chat.url}"\n`,
    });
    try {
      server.goLive("fold_fail");
      const recorder = spawnCli(sandbox, ["record", "fold_fail"]);
      await waitForState(sandbox, "fold_fail", "capturing");
      const base = await eventually("the session manifest", async () => {
        const name = (await listDir(sandbox.tempDir)).find((n) => n.endsWith(".session.json"));
        return name?.replace(".session.json", "");
      });
      // A folder where the chat file goes: writing it fails, as on a full or broken disk.
      const blocker = join(sandbox.recordDir, `${base}.chat.json`);
      await Deno.mkdir(join(blocker, "in-the-way"), { recursive: true });
      await chat.joined("fold_fail");
      const sent = [];
      for (let i = 0; i < 3; i++) {
        sent.push(chat.say("fold_fail", `v${i}`, `line ${i}`));
        await sleep(500);
      }
      await sleep(2000);
      server.end("fold_fail");
      const result = await collect(recorder);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(await recordingStem(sandbox.recordDir), base, "the video is delivered");
      const left = await listDir(sandbox.tempDir);
      assert.ok(left.includes(`${base}.chat.jsonl`), `journal kept: ${left}`);

      await Deno.remove(blocker, { recursive: true });
      const recovered = await runCli(sandbox, ["recover"]);
      assert.equal(recovered.code, 0, recovered.stdout + recovered.stderr);
      assert.doesNotMatch(recovered.stdout, /Nothing to recover/);
      const archive = await readJson(join(sandbox.recordDir, `${base}.chat.json`));
      assert.deepEqual(
        (archive.comments as ChatComment[]).map((c) => c._id),
        sent.map((s) => s.id),
      );
      const info = await readJson(join(sandbox.recordDir, `${base}.info.json`));
      assert.equal(info.chat_messages, 3);
      assert.ok(info.parts.length >= 1, "the parts' timing survived their deletion");
      assert.deepEqual(await listDir(sandbox.tempDir), [], "journal folded and removed");
    } finally {
      await chat.close();
    }
  });
});

Deno.test("chat.url that is not a WebSocket URL exits 2 naming the key", async () => {
  await using sandbox = await makeSandbox({
    urlTemplate: "hls://http://127.0.0.1:9/live/{user}/index.m3u8",
    extraConfig: `\n[chat]\nurl = "not a url"\n`,
  });
  const result = await runCli(sandbox, ["record", "somebody", "--chat"]);
  assert.equal(result.code, 2, result.stderr);
  assert.match(
    result.stderr,
    /expected a ws:\/\/ or wss:\/\/ URL for "chat\.url", got "not a url"/,
  );
  await sandbox.writeConfig(`[chat]\nurl = "https://irc-ws.chat.twitch.tv"\n`);
  const https = await runCli(sandbox, ["status"]);
  assert.equal(https.code, 2, https.stderr);
  assert.match(https.stderr, /"chat\.url", got "https:\/\/irc-ws\.chat\.twitch\.tv"/);
});
