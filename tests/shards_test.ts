/**
 * Shards: three pollers (three hosts, each with its own state) share one users file with
 * `[poller] shard = "1/3"`, `"2/3"` and `"3/3"`, against the fake Twitch API and the live HLS
 * server. Every live channel is recorded exactly once, by the host its shard names.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type CliResult,
  collect,
  defaultConfig,
  killLeftovers,
  makeSandbox,
  pollerSection,
  recordingsOf,
  runCli,
  type Sandbox,
  spawnCli,
} from "../testing/cli.ts";
import { eventually } from "../testing/eventually.ts";
import { startGqlServer } from "../testing/gql_server.ts";
import { startHlsServer } from "../testing/hls_server.ts";

/** Channels and the shard of 3 a hash of their login gives (src/poll/shard_test.ts). */
const SHARD_OF: Record<string, number> = { shard_g: 1, shard_b: 2, shard_c: 2, shard_a: 3 };
const CHANNELS = Object.keys(SHARD_OF).sort();

interface Status {
  recordings: { user: string; pid: number; state: string; bytes: number }[];
  poller: { last_poll: string | null };
}

async function status(sandbox: Sandbox, pids: Set<number>): Promise<Status> {
  const result = await runCli(sandbox, ["status", "--json"]);
  assert.equal(result.code, 0, result.stderr);
  const parsed = JSON.parse(result.stdout) as Status;
  for (const recording of parsed.recordings) pids.add(recording.pid);
  return parsed;
}

Deno.test("three pollers with shards 1/3, 2/3, 3/3 on one users file record each channel exactly once", async () => {
  const hls = await startHlsServer({ endGraceMs: 1200 });
  const gql = startGqlServer();
  const hosts: Sandbox[] = [];
  const pollers: { process: Deno.ChildProcess; result: Promise<CliResult> }[] = [];
  const pids = new Set<number>();
  try {
    for (let i = 0; i < 3; i++) hosts.push(await makeSandbox());
    const usersFile = join(hosts[0]!.home, "shared-users.txt");
    await Deno.writeTextFile(usersFile, CHANNELS.join("\n") + "\n");
    for (const [index, host] of hosts.entries()) {
      await host.writeConfig(defaultConfig(
        host,
        hls.urlTemplate,
        pollerSection(usersFile, { interval: 2 }).replace(
          "[poller]\n",
          `[poller]\nshard = "${index + 1}/3"\n`,
        ) + `\n[twitch]\ndetect = "gql"\ngql_url = "${gql.url}"\n`,
      ));
    }
    const listed = await runCli(hosts[1]!, ["users", "list"]);
    assert.equal(listed.code, 0, listed.stderr);
    const lines = listed.stdout.trim().split("\n").map((line) => line.replace(/ +/g, " "));
    assert.deepEqual(
      lines,
      CHANNELS.map((user) =>
        `${user} shard ${SHARD_OF[user]}/3${SHARD_OF[user] === 2 ? " (this host)" : ""}`
      ),
    );

    const createdAt = new Date(Date.now() - 10_000).toISOString();
    for (const user of CHANNELS) {
      hls.goLive(user);
      gql.goLive(user, `stream-${user}`, createdAt);
    }
    for (const host of hosts) {
      const process = spawnCli(host, ["poller", "run"]);
      pollers.push({ process, result: collect(process) });
    }
    const capturing = async (host: Sandbox) =>
      (await status(host, pids)).recordings.filter((r) => r.bytes > 0).map((r) => r.user).sort();
    for (const [index, host] of hosts.entries()) {
      const mine = CHANNELS.filter((user) => SHARD_OF[user] === index + 1);
      await eventually(`shard ${index + 1}/3 capturing ${mine.join(", ")}`, async () => {
        const users = await capturing(host);
        return JSON.stringify(users) === JSON.stringify(mine);
      }, 300_000);
    }
    // Two more cycles on each host: still nobody records another shard's channel.
    for (const host of hosts) {
      const last = (await status(host, pids)).poller.last_poll;
      await eventually("a later cycle", async () => {
        const next = (await status(host, pids)).poller.last_poll;
        return next !== last && next !== null;
      });
    }
    for (const [index, host] of hosts.entries()) {
      const users = (await status(host, pids)).recordings.map((r) => r.user).sort();
      assert.deepEqual(users, CHANNELS.filter((user) => SHARD_OF[user] === index + 1));
    }

    for (const user of CHANNELS) hls.end(user);
    for (const host of hosts) {
      await eventually(
        "recordings finished",
        async () => (await status(host, pids)).recordings.length === 0,
        300_000,
      );
    }
    for (const user of CHANNELS) {
      const found = (await Promise.all(hosts.map((host) => recordingsOf(host.recordDir, user))))
        .map((files) => files.length);
      const expected = [1, 2, 3].map((shard) => (shard === SHARD_OF[user] ? 1 : 0));
      assert.deepEqual(found, expected, `${user}: one recording, on shard ${SHARD_OF[user]}`);
    }
  } finally {
    for (const poller of pollers) {
      try {
        poller.process.kill("SIGTERM");
      } catch {
        // Already exited.
      }
      await poller.result;
    }
    killLeftovers(pids);
    await gql.close();
    await hls.close();
    for (const host of hosts) await host[Symbol.asyncDispose]();
  }
});
