/**
 * End-to-end notifications: the real `record` (binary's permissions) against the local HLS
 * server, with a local HTTP sink standing in for ntfy and a JSON webhook and a fake `apprise` on
 * PATH. Every event arrives once with its fields; no credential reaches a log, a status file or
 * a command line; a dead or silent server changes nothing about the recording.
 */
import { eventually } from "../testing/eventually.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  collect,
  defaultConfig,
  ffprobe,
  listDir,
  makeSandbox,
  pollerSection,
  runCli,
  type Sandbox,
  spawnCli,
} from "../testing/cli.ts";
import { installFakeApprise } from "../testing/fake_apprise.ts";
import { sleep, waitForState, withHlsServer } from "../testing/live.ts";
import { startGqlServer } from "../testing/gql_server.ts";
import { startNotifySink } from "../testing/notify_sink.ts";

const NTFY_PASSWORD = "ntfyPassw0rdXYZ";
const HOOK_TOKEN = "hookTokenQ9Z8";
const MAIL_PASSWORD = "mailSecretK7J6";

/** Every file under `dir` (logs, state, queue) as one text, for secret scans. */
async function allText(dir: string): Promise<string> {
  let text = "";
  for (const name of await listDir(dir)) {
    const path = join(dir, name);
    const info = await Deno.stat(path).catch(() => undefined);
    if (info?.isDirectory) text += await allText(path);
    else if (info?.isFile) text += await Deno.readTextFile(path).catch(() => "");
  }
  return text;
}

/** Command lines of every process on the machine. */
async function allCommandLines(): Promise<string> {
  let text = "";
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    text += await Deno.readTextFile(`/proc/${entry.name}/cmdline`).catch(() => "");
  }
  return text;
}

function assertNoSecret(text: string, where: string) {
  for (const secret of [NTFY_PASSWORD, HOOK_TOKEN, MAIL_PASSWORD]) {
    assert.ok(!text.includes(secret), `${secret} found in ${where}`);
  }
}

async function notifyConfig(sandbox: Sandbox, urlTemplate: string, urls: string[], extra = "") {
  await sandbox.writeConfig(
    defaultConfig(sandbox, urlTemplate) +
      `\n[notify]\nurls = ${JSON.stringify(urls)}\ngive_up_after = 4\n${extra}`,
  );
}

Deno.test("record notifies started and finished once per target with their fields, and no secret leaks", async () => {
  await withHlsServer(async (server) => {
    await using sink = startNotifySink();
    await using sandbox = await makeSandbox();
    const apprise = await installFakeApprise(sandbox.home);
    const mailUrl = `mailto://bob:${MAIL_PASSWORD}@example.com`;
    await notifyConfig(sandbox, server.urlTemplate, [
      `ntfy://carol:${NTFY_PASSWORD}@127.0.0.1:${sink.port}/streams`,
      `json://127.0.0.1:${sink.port}/hook?+X-Token=${HOOK_TOKEN}`,
      mailUrl,
    ]);
    const env = { PATH: `${apprise.binDir}:${sandbox.env.PATH}` };
    server.goLive("alice");
    const recorder = spawnCli(sandbox, ["record", "alice", "--loglevel", "debug"], { env });
    await waitForState(sandbox, "alice", "capturing");
    assertNoSecret(await allCommandLines(), "a process's command line");
    await sleep(5000);
    server.end("alice");
    const result = await collect(recorder);
    assert.equal(result.code, 0, result.stderr);

    const final = (await listDir(sandbox.recordDir)).filter((name) => name.endsWith(".mp4"));
    assert.equal(final.length, 1);
    const file = join(sandbox.recordDir, final[0]!);
    const hook = sink.json("/hook");
    assert.deepEqual(hook.map((m) => m.event), ["recording_started", "recording_finished"]);
    assert.equal(hook[0]!.channel, "alice");
    const done = hook[1]!;
    assert.deepEqual([done.channel, done.file, done.parts, done.gaps], ["alice", file, 1, 0]);
    assert.equal(done.bytes, (await Deno.stat(file)).size);
    const { duration } = await ffprobe(file);
    assert.ok(Math.abs((done.duration_seconds as number) - duration) < 1.5, `${duration}`);
    assert.ok(
      sink.requests.every((r) => r.path !== "/hook" || r.headers["x-token"] === HOOK_TOKEN),
    );

    const ntfy = sink.requests.filter((r) => r.path === "/streams");
    assert.deepEqual(ntfy.map((r) => r.headers.title), ["Recording alice", "Recorded alice"]);
    assert.equal(ntfy[0]!.headers.authorization, `Basic ${btoa(`carol:${NTFY_PASSWORD}`)}`);

    const calls = await apprise.calls();
    assert.equal(calls.length, 2);
    for (const call of calls) {
      assert.equal(call.config, mailUrl, "the URL reaches apprise through its -c file");
      assertNoSecret(call.args, "apprise's arguments");
    }
    assert.deepEqual(
      await listDir(join(sandbox.runtimeDir, "notify")),
      [],
      "the private config files are removed",
    );
    assertNoSecret(result.stderr + result.stdout, "record's output");
    assertNoSecret(await allText(sandbox.stateDir), "state, logs and queue");
    const status = await runCli(sandbox, ["status", "--json"]);
    assertNoSecret(status.stdout, "status");
  });
});

Deno.test("a notification server that is down or never answers does not change the recording", async () => {
  await withHlsServer(async (server) => {
    await using silent = startNotifySink("slow");
    await using sandbox = await makeSandbox();
    const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const deadPort = (closed.addr as Deno.NetAddr).port;
    closed.close();
    await notifyConfig(sandbox, server.urlTemplate, [
      `json://127.0.0.1:${deadPort}/hook`,
      `ntfy://127.0.0.1:${silent.port}/streams`,
    ]);
    server.goLive("bob");
    const recorder = spawnCli(sandbox, ["record", "bob"]);
    await waitForState(sandbox, "bob", "capturing");
    await sleep(5000);
    server.end("bob");
    const result = await collect(recorder);
    assert.equal(result.code, 0, result.stderr);
    const finals = (await listDir(sandbox.recordDir)).filter((name) => name.endsWith(".mp4"));
    assert.equal(finals.length, 1);
    const { duration } = await ffprobe(join(sandbox.recordDir, finals[0]!));
    assert.ok(duration >= 4, `recorded ${duration} s`);
    assert.match(result.stderr, /Capture ended: .*; 1 part\(s\)/);
    assert.equal((await listDir(sandbox.jobsDir)).length, 1, "the encode job is queued");
    // record only makes one quick attempt: the outbox keeps both events for both targets.
    assert.doesNotMatch(result.stderr, /Dropped notification/);
    assert.ok(silent.requests.length >= 2, "the silent server was asked");
    const status = await runCli(sandbox, ["status", "--json"]);
    assert.equal(JSON.parse(status.stdout).notifications.waiting, 4, status.stdout);
  });
});

Deno.test("notify test reports each target; an apprise URL without apprise installed stops start-up", async () => {
  await using sink = startNotifySink();
  await using sandbox = await makeSandbox();
  await notifyConfig(sandbox, "hls://127.0.0.1:1/{user}", [
    `json://127.0.0.1:${sink.port}/hook`,
    `ntfy://127.0.0.1:${sink.port}/streams?token=${HOOK_TOKEN}`,
  ]);
  const ok = await runCli(sandbox, ["notify", "test"]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^ok +json:\/\/127\.0\.0\.1:\d+\/hook$/m);
  assert.match(ok.stdout, /^ok +ntfy:\/\/127\.0\.0\.1:\d+\/streams\?token=\*\*\*$/m);
  assert.deepEqual(sink.json("/hook").map((m) => m.event), ["test"]);
  assertNoSecret(ok.stdout + ok.stderr, "notify test output");

  await notifyConfig(sandbox, "hls://127.0.0.1:1/{user}", [`mailto://u:${MAIL_PASSWORD}@x.org`]);
  const emptyPath = await Deno.makeTempDir();
  try {
    const missing = await runCli(sandbox, ["record", "alice"], {
      env: { PATH: emptyPath },
    });
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /apprise command .* is not installed/);
    assertNoSecret(missing.stderr, "the start-up error");
  } finally {
    await Deno.remove(emptyPath, { recursive: true });
  }
});

Deno.test("a recording hosted by the poller notifies started (with the API's title) and finished once", async () => {
  await withHlsServer(async (server) => {
    await using sink = startNotifySink();
    await using sandbox = await makeSandbox();
    const gql = startGqlServer();
    const usersFile = join(sandbox.home, "channels.txt");
    await Deno.writeTextFile(usersFile, "host_n\n");
    await notifyConfig(
      sandbox,
      server.urlTemplate,
      [`json://127.0.0.1:${sink.port}/hook`],
      pollerSection(usersFile, { interval: 2 }) +
        `\n[twitch]\ndetect = "gql"\ngql_url = "${gql.url}"\n`,
    );
    const events = (name: string) => sink.json("/hook").filter((m) => m.event === name);
    gql.setTitle("host_n", "Speedrun night", "Game A");
    server.goLive("host_n");
    gql.goLive("host_n", "stream-5");
    const poller = spawnCli(sandbox, ["poller", "run"]);
    try {
      await eventually(
        "recording_started",
        () => Promise.resolve(events("recording_started").length > 0),
        300_000,
      );
      await sleep(3000);
      server.end("host_n");
      gql.goOffline("host_n");
      await eventually(
        "recording_finished",
        () => Promise.resolve(events("recording_finished").length > 0),
        300_000,
      );
      await sleep(1000);
    } finally {
      const stopped = await runCli(sandbox, ["poller", "stop"]);
      assert.equal(stopped.code, 0, stopped.stderr);
      await collect(poller);
      await gql.close();
    }
    assert.deepEqual(
      events("recording_started").map((m) => [m.title, m.stream_id]),
      [["Speedrun night", "stream-5"]],
    );
    const [finished, ...more] = events("recording_finished");
    assert.deepEqual(more, []);
    assert.equal(finished!.channel, "host_n");
    const finals = (await listDir(sandbox.recordDir)).filter((name) => name.endsWith(".mp4"));
    assert.deepEqual([finished!.file], finals.map((name) => join(sandbox.recordDir, name)));
  });
});
