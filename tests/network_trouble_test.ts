/**
 * End-to-end: a stream host that does not answer is a network problem, said as such, not a
 * channel that is offline; `doctor` says which host it cannot reach instead of crashing.
 */
import { eventually } from "../testing/eventually.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  collect,
  defaultConfig,
  makeSandbox,
  pollerSection,
  recordingsOf,
  runCli,
  spawnCli,
} from "../testing/cli.ts";
import { startHlsServer } from "../testing/hls_server.ts";

Deno.test("record against a host that refuses connections says it cannot reach the stream, not that it is offline", async () => {
  // Port 9 (discard) on loopback: nothing listens, every connection is refused. The window
  // outlasts streamlink's first attempt even on a loaded machine (11 s seen), so the waiting
  // report with "retrying" comes before it closes.
  await using sandbox = await makeSandbox({
    urlTemplate: "hls://http://127.0.0.1:9/{user}",
    retryWindow: 20,
  });
  const result = await runCli(sandbox, ["record", "no_route"]);
  assert.equal(result.code, 5, result.stderr);
  assert.match(
    result.stderr,
    /Cannot reach the stream of "no_route": "Connection refused \(127\.0\.0\.1:9\)"; a network problem, not the channel going offline; retrying/,
  );
  assert.doesNotMatch(result.stderr, /Stream not available; waiting|stayed offline/);
  assert.match(result.stderr, /Capture ended: the stream could not be reached for retry_window/);
  assert.match(
    result.stderr,
    /Nothing captured for "no_route": the stream could not be reached \(Connection refused \(127\.0\.0\.1:9\)\), a network problem/,
  );
});

Deno.test("doctor says which host it cannot reach, in one line each, and keeps going", async () => {
  // A loopback port nobody listens on (fetch refuses port 9 outright, as a "bad port").
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  await using sandbox = await makeSandbox({ urlTemplate: `hls://http://127.0.0.1:${port}/{user}` });
  const probes = await runCli(sandbox, ["doctor"]);
  assert.equal(probes.code, 0, probes.stdout + probes.stderr);
  assert.match(
    probes.stdout,
    /^ok {4}Twitch API: not used \(live detection by streamlink probes\)$/m,
  );
  assert.match(
    probes.stdout,
    new RegExp(
      `^warn {2}stream host: cannot reach 127\\.0\\.0\\.1:${port}: .*refused.*; recordings fail until it answers`,
      "im",
    ),
  );
  assert.match(probes.stdout, / \d+ warning\(s\), 0 failure\(s\)\n$/);

  const api = await runCli(sandbox, ["doctor"], {
    env: { TWITCH_DETECT: "gql", TWITCH_GQL_URL: `http://127.0.0.1:${port}/gql` },
  });
  assert.match(
    api.stdout,
    new RegExp(`^warn {2}Twitch API: cannot reach 127\\.0\\.0\\.1:${port}: `, "m"),
  );

  const elsewhere = await runCli(sandbox, ["doctor"], {
    env: { TWITCH_DETECT: "gql", TWITCH_GQL_URL: "https://gql.example.invalid/gql" },
  });
  assert.match(
    elsewhere.stdout,
    /^warn {2}Twitch API: gql\.example\.invalid not checked: doctor may only reach Twitch's own hosts and loopback$/m,
  );

  const offline = await runCli(sandbox, ["doctor", "--offline"]);
  assert.doesNotMatch(offline.stdout, /Twitch API|stream host/);
});

Deno.test("a hosted recording whose server vanishes says the stream cannot be reached, then finalizes what it has", async () => {
  const server = await startHlsServer({ endGraceMs: 1200 });
  await using sandbox = await makeSandbox();
  const usersFile = join(sandbox.home, "channels.txt");
  await Deno.writeTextFile(usersFile, "vanishing\n");
  const configPath = join(sandbox.home, "poller.toml");
  await Deno.writeTextFile(
    configPath,
    defaultConfig(
      sandbox,
      server.urlTemplate,
      pollerSection(usersFile),
      { retryWindow: 8 },
    ),
  );
  const poller = spawnCli(sandbox, ["--config", configPath, "poller", "run"]);
  const result = collect(poller);
  try {
    server.goLive("vanishing");
    await eventually("data on disk", async () => {
      const status = await runCli(sandbox, ["--config", configPath, "status", "--json"]);
      return JSON.parse(status.stdout).recordings?.[0]?.bytes > 200_000;
    }, 300_000);
    await server.close();
    await eventually("the recording, finalized", async () => {
      return (await recordingsOf(sandbox.recordDir, "vanishing")).length === 1;
    }, 300_000);
  } finally {
    poller.kill("SIGTERM");
    await server.close();
  }
  const done = await result;
  assert.equal(done.code, 0, done.stderr);
  const log = await Deno.readTextFile(join(sandbox.stateDir, "logs", "vanishing.log"));
  assert.match(
    log,
    /Cannot reach the stream of "vanishing": "Connection refused \(127\.0\.0\.1:\d+\)"; a network problem/,
  );
  assert.match(log, /Capture ended: the stream could not be reached for retry_window \(8s\)/);
});
