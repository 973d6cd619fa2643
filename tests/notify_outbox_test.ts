/**
 * End-to-end notification outbox: processes run as their units run them (the encoder role's
 * flags, the encoder under `unshare -n` like `PrivateNetwork=yes`), a local HTTP sink as the
 * webhook. What a process meant to say outlives it, nothing waits for a dead endpoint, and the
 * poller (or `notify flush`) delivers every event exactly once.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { roleFlags } from "../src/permissions.ts";
import {
  cliCommandArgs,
  type CliResult,
  collect,
  defaultConfig,
  listDir,
  makeSandbox,
  pollerSection,
  runCli,
  type Sandbox,
  spawnCli,
  statusJson,
} from "../testing/cli.ts";
import { makeClip, writeEncoderConfig, writeJob } from "../testing/encode_clips.ts";
import { eventually } from "../testing/eventually.ts";
import { startGqlServer } from "../testing/gql_server.ts";
import { type NotifySink, startNotifySink } from "../testing/notify_sink.ts";
import { sleep, waitForState, withHlsServer } from "../testing/live.ts";

const ENCODER = roleFlags("encoder");

/** The encoder sandbox's config plus a poller (no channels) and one JSON webhook. */
async function writeConfig(
  sb: Sandbox,
  sink: NotifySink,
  gqlUrl: string,
  notifyExtra = "",
): Promise<void> {
  await writeEncoderConfig(sb);
  const usersFile = join(sb.home, "channels.txt");
  await Deno.writeTextFile(usersFile, "");
  const config = await Deno.readTextFile(sb.configPath);
  await sb.writeConfig(
    config + pollerSection(usersFile, { interval: 2 }) +
      `\n[twitch]\ndetect = "gql"\ngql_url = "${gqlUrl}"\n` +
      `\n[notify]\nurls = ["json://127.0.0.1:${sink.port}/hook"]\nevents = ["encode_finished"]\n${notifyExtra}`,
  );
}

/** One encode job for a 2 s clip; returns the output it names. */
async function queueClip(sb: Sandbox, name: string): Promise<string> {
  await Deno.mkdir(sb.recordDir, { recursive: true });
  const input = await makeClip(join(sb.recordDir, `${name}.mp4`), { seconds: 2 });
  const output = join(sb.recordDir, `${name}_compressed.mp4`);
  await writeJob(sb, `${name}.json`, {
    input,
    output,
    created_at: new Date().toISOString(),
    delete_input_on_success: false,
  });
  return output;
}

/** `encode-daemon run --exit-when-empty` with the encoder's flags, with no network at all. */
async function encodeWithoutNetwork(sb: Sandbox): Promise<CliResult> {
  const args = cliCommandArgs(["encode-daemon", "run", "--exit-when-empty"], ENCODER);
  const child = new Deno.Command("unshare", {
    args: ["-n", Deno.execPath(), ...args],
    env: sb.env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  return await collect(child);
}

/** `encode_finished` messages the webhook received among `requests`. */
function finishedMessages(sink: NotifySink, from = 0): Record<string, unknown>[] {
  return sink.requests.slice(from).filter((r) => r.path === "/hook").map((r) => JSON.parse(r.body))
    .filter((m) => m.event === "encode_finished");
}

/** The unit's TimeoutStopSec, in milliseconds. */
async function timeoutStopMs(unit: string): Promise<number> {
  const text = await Deno.readTextFile(new URL(`../systemd/${unit}`, import.meta.url));
  const seconds = Number(/^TimeoutStopSec=(\d+)$/m.exec(text)?.[1]);
  assert.ok(seconds > 0, `${unit} has a TimeoutStopSec`);
  return seconds * 1000;
}

/** Resolves with the process's result, or with undefined once `ms` passed. */
async function exitWithin(child: Deno.ChildProcess, ms: number): Promise<CliResult | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([collect(child), late]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("an encoder without network leaves encode_finished in the outbox and a running poller delivers it once", async () => {
  await using sink = startNotifySink();
  await using sb = await makeSandbox();
  const gql = startGqlServer();
  await writeConfig(sb, sink, gql.url);
  const poller = spawnCli(sb, ["poller", "run"]);
  try {
    const output = await queueClip(sb, "netless");
    const encoded = await encodeWithoutNetwork(sb);
    assert.equal(encoded.code, 0, encoded.stderr);
    assert.doesNotMatch(encoded.stderr, /Dropped notification/);
    const [message] = await eventually(
      "encode_finished at the webhook",
      () => finishedMessages(sink).length > 0 && finishedMessages(sink),
      60_000,
    );
    assert.equal(message!.output, output);
    assert.equal(message!.bytes, (await Deno.stat(output)).size);
    await eventually("an empty outbox", async () => {
      const status = await statusJson(sb);
      return (status.notifications as { waiting: number }).waiting === 0;
    });
    assert.equal(finishedMessages(sink).length, 1, "delivered once");
  } finally {
    poller.kill("SIGTERM");
    await collect(poller);
    await gql.close();
  }
});

Deno.test("a poller stopped with SIGTERM while the webhook hangs exits in time and loses nothing", async () => {
  await using sink = startNotifySink("slow");
  await using sb = await makeSandbox();
  const gql = startGqlServer();
  try {
    await writeConfig(sb, sink, gql.url);
    const output = await queueClip(sb, "hung");
    const encoded = await collect(
      spawnCli(sb, ["encode-daemon", "run", "--exit-when-empty"], { flags: ENCODER }),
    );
    assert.equal(encoded.code, 0, encoded.stderr);
    const asked = sink.requests.length;
    const poller = spawnCli(sb, ["poller", "run"]);
    await eventually(
      "the poller sending to the hung webhook",
      () => sink.requests.length > asked,
      60_000,
    );
    poller.kill("SIGTERM");
    const stopped = await exitWithin(poller, await timeoutStopMs("twitch-poller.service"));
    assert.ok(stopped, "the poller outlived its unit's TimeoutStopSec");
    assert.equal(stopped.code, 0, stopped.stderr);
    const status = await statusJson(sb);
    assert.equal((status.notifications as { waiting: number }).waiting, 1, "kept in the outbox");

    sink.mode = "ok";
    const from = sink.requests.length;
    const flushed = await runCli(sb, ["notify", "flush"]);
    assert.equal(flushed.code, 0, flushed.stderr);
    assert.match(flushed.stdout, /^Delivered 1, dropped 0, 0 left in the outbox$/m);
    assert.deepEqual(finishedMessages(sink, from).map((m) => m.output), [output]);
  } finally {
    await gql.close();
  }
});

Deno.test("kill -9 of a poller in the middle of sending loses nothing: notify flush sends it once", async () => {
  await using sink = startNotifySink("slow");
  await using sb = await makeSandbox();
  const gql = startGqlServer();
  try {
    await writeConfig(sb, sink, gql.url);
    const output = await queueClip(sb, "killed");
    const encoded = await collect(
      spawnCli(sb, ["encode-daemon", "run", "--exit-when-empty"], { flags: ENCODER }),
    );
    assert.equal(encoded.code, 0, encoded.stderr);
    const asked = sink.requests.length;
    const poller = spawnCli(sb, ["poller", "run"]);
    await eventually("the poller sending", () => sink.requests.length > asked, 60_000);
    poller.kill("SIGKILL");
    await collect(poller);
    sink.mode = "ok";
    const from = sink.requests.length;
    const flushed = await runCli(sb, ["notify", "flush"]);
    assert.equal(flushed.code, 0, flushed.stderr);
    assert.deepEqual(finishedMessages(sink, from).map((m) => m.output), [output]);
    const again = await runCli(sb, ["notify", "flush"]);
    assert.match(again.stdout, /^Delivered 0, dropped 0, 0 left in the outbox$/m);
  } finally {
    await gql.close();
  }
});

Deno.test("record whose webhook is down exits once its file is delivered; a poller sends its events later", async () => {
  await withHlsServer(async (server) => {
    await using sink = startNotifySink("fail");
    await using sb = await makeSandbox();
    const gql = startGqlServer();
    const usersFile = join(sb.home, "channels.txt");
    await Deno.writeTextFile(usersFile, "");
    await sb.writeConfig(
      defaultConfig(sb, server.urlTemplate) + pollerSection(usersFile, { interval: 2 }) +
        `\n[twitch]\ndetect = "gql"\ngql_url = "${gql.url}"\n` +
        `\n[notify]\nurls = ["json://127.0.0.1:${sink.port}/hook"]\ngive_up_after = 300\n`,
    );
    server.goLive("dora");
    const recorder = spawnCli(sb, ["record", "dora"]);
    await waitForState(sb, "dora", "capturing");
    await sleep(4000);
    server.end("dora");
    // Before the outbox, record waited up to give_up_after (300 s) for a dead webhook.
    const result = await exitWithin(recorder, 60_000);
    assert.ok(result, "record still waits for the dead webhook a minute after the stream ended");
    assert.equal(result.code, 0, result.stderr);
    const finals = (await listDir(sb.recordDir)).filter((name) => name.endsWith(".mp4"));
    assert.equal(finals.length, 1);
    assert.doesNotMatch(result.stderr, /Dropped notification/);

    sink.mode = "ok";
    const from = sink.requests.length;
    const events = () => sink.requests.slice(from).map((r) => JSON.parse(r.body).event);
    const poller = spawnCli(sb, ["poller", "run"]);
    try {
      await eventually("both events delivered", () => events().length >= 2, 60_000);
      await eventually("an empty outbox", async () => {
        const status = await statusJson(sb);
        return (status.notifications as { waiting: number }).waiting === 0;
      });
    } finally {
      poller.kill("SIGTERM");
      await collect(poller);
      await gql.close();
    }
    assert.deepEqual(events().sort(), ["recording_finished", "recording_started"]);
    const finished = sink.requests.slice(from).map((r) => JSON.parse(r.body))
      .find((m) => m.event === "recording_finished");
    assert.equal(finished.file, join(sb.recordDir, finals[0]!));
  });
});

Deno.test("status and doctor show waiting events; past give_up_after notify flush drops one with a line and a count", async () => {
  await using sink = startNotifySink("fail");
  await using sb = await makeSandbox();
  const gql = startGqlServer();
  try {
    await writeConfig(sb, sink, gql.url);
    await queueClip(sb, "late");
    const encoded = await collect(
      spawnCli(sb, ["encode-daemon", "run", "--exit-when-empty"], { flags: ENCODER }),
    );
    assert.equal(encoded.code, 0, encoded.stderr);
    const waiting = await runCli(sb, ["status"]);
    assert.match(waiting.stdout, /^Notifications: 1 waiting in the outbox$/m);
    const doctor = await runCli(sb, ["doctor", "--offline"]);
    assert.match(
      doctor.stdout,
      /^warn {2}outbox: 1 notification\(s\) waiting and no poller runs: "twitchtool notify flush" delivers them$/m,
    );

    await writeConfig(sb, sink, gql.url, "give_up_after = 0\n");
    const flushed = await runCli(sb, ["notify", "flush"]);
    assert.equal(flushed.code, 0, flushed.stderr);
    assert.match(flushed.stdout, /^Delivered 0, dropped 1, 0 left in the outbox$/m);
    const lines = flushed.stderr.split("\n").filter((line) => /Dropped notification/.test(line));
    assert.equal(lines.length, 1, flushed.stderr);
    assert.match(
      lines[0]!,
      /"encode_finished" to "json:\/\/127\.0\.0\.1:\d+\/hook" after 1 attempt\(s\): "HTTP 500/,
    );
    const status = await statusJson(sb);
    assert.deepEqual(
      [
        status.notifications,
        typeof (status.notifications as { last_dropped_at: unknown }).last_dropped_at,
      ],
      [{ ...(status.notifications as object), waiting: 0, dropped: 1 }, "string"],
    );
    const text = await runCli(sb, ["status"]);
    assert.match(text.stdout, /^Notifications: 1 dropped after give_up_after, last at .+$/m);
  } finally {
    await gql.close();
  }
});
