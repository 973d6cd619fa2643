/**
 * End-to-end: the real `poller run` detecting through the local fake of Twitch's GraphQL
 * endpoint while its recorders record from the live HLS server (`detect = "gql"` forces the
 * API whatever `url_template` says). `streamlink` on PATH is a wrapper that logs every call
 * before running the real one, so the test sees from outside which streamlink processes the
 * poller and its recorders started.
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
  runCli,
  type Sandbox,
  spawnCli,
} from "../testing/cli.ts";
import { eventually } from "../testing/eventually.ts";
import { type FakeGqlServer, HELIX_SECRET, startGqlServer } from "../testing/gql_server.ts";
import { type LiveHlsServer, startHlsServer } from "../testing/hls_server.ts";
import { readManifest } from "../src/state/session_manifest.ts";
import type { StatusSnapshot } from "../src/state/status_snapshot.ts";

const CHANNELS = Array.from({ length: 100 }, (_, i) => `chan_${String(i).padStart(3, "0")}`);
const LIVE = ["chan_011", "chan_047", "chan_093"];

/** A `streamlink` that appends its arguments to `calls` and then runs the real one. */
async function streamlinkWrapper(dir: string): Promise<{ path: string; calls: string }> {
  const which = await new Deno.Command("sh", {
    args: ["-c", "command -v streamlink"],
    stdout: "piped",
  }).output();
  const real = new TextDecoder().decode(which.stdout).trim();
  assert.ok(real, "streamlink is installed");
  const bin = join(dir, "bin");
  await Deno.mkdir(bin);
  const calls = join(dir, "streamlink-calls.txt");
  await Deno.writeTextFile(calls, "");
  await Deno.writeTextFile(
    join(bin, "streamlink"),
    `#!/bin/sh\necho "$*" >> '${calls}'\nexec '${real}' "$@"\n`,
    { mode: 0o755 },
  );
  return { path: bin, calls };
}

/**
 * A sandbox with the local HLS server, the fake of Twitch's APIs, `streamlink` on PATH logging
 * its calls, a poller config (2 s interval, the `[twitch]` section `twitch` gives; GraphQL by
 * default) and the channel list, and the poller once started; `close()` stops what runs.
 */
class GqlWorld {
  readonly pids = new Set<number>();
  poller: { process: Deno.ChildProcess; result: Promise<CliResult> } | undefined;

  private constructor(
    readonly hls: LiveHlsServer,
    readonly gql: FakeGqlServer,
    readonly sandbox: Sandbox,
    readonly wrapper: { path: string; calls: string },
    readonly configPath: string,
    readonly usersFile: string,
    readonly extraEnv: Record<string, string>,
  ) {}

  static async start(
    twitch = (gql: FakeGqlServer) => `detect = "gql"\ngql_url = "${gql.url}"\n`,
    extraEnv: Record<string, string> = {},
  ): Promise<GqlWorld> {
    const hls = await startHlsServer({ endGraceMs: 1200 });
    const gql = startGqlServer();
    const sandbox = await makeSandbox();
    const world = new GqlWorld(
      hls,
      gql,
      sandbox,
      await streamlinkWrapper(sandbox.home),
      join(sandbox.home, "poller.toml"),
      join(sandbox.home, "channels.txt"),
      extraEnv,
    );
    await Deno.remove(sandbox.configPath).catch(() => {});
    await Deno.writeTextFile(
      world.configPath,
      defaultConfig(
        sandbox,
        hls.urlTemplate,
        pollerSection(world.usersFile, { interval: 2 }) +
          `\n[twitch]\n${twitch(gql)}`,
      ),
    );
    return world;
  }

  get env(): Record<string, string> {
    return { PATH: `${this.wrapper.path}:${this.sandbox.env.PATH}`, ...this.extraEnv };
  }

  /** Puts `users` live on both the HLS server and the API, begun `createdAt`. */
  goLive(users: readonly string[], createdAt: string): void {
    for (const user of users) {
      this.hls.goLive(user);
      this.gql.goLive(user, `stream-${user}`, createdAt);
    }
  }

  startPoller(): void {
    const process = spawnCli(this.sandbox, ["--config", this.configPath, "poller", "run"], {
      env: this.env,
    });
    this.poller = { process, result: collect(process) };
  }

  /** SIGTERM to the poller; what it printed. */
  async stopPoller(): Promise<CliResult> {
    const poller = this.poller!;
    this.poller = undefined;
    poller.process.kill("SIGTERM");
    return await poller.result;
  }

  async status(): Promise<StatusSnapshot> {
    const result = await runCli(this.sandbox, ["--config", this.configPath, "status", "--json"], {
      env: this.env,
    });
    assert.equal(result.code, 0, result.stderr);
    const parsed = JSON.parse(result.stdout) as StatusSnapshot;
    for (const r of parsed.recordings) this.pids.add(r.pid);
    return parsed;
  }

  waitStatus(what: string, check: (s: StatusSnapshot) => boolean, timeoutMs = 300_000) {
    return eventually(what, async () => {
      const s = await this.status();
      return check(s) ? s : undefined;
    }, timeoutMs);
  }

  /** streamlink runs as a probe (`--stream-url`), as the wrapper logged them. */
  async streamUrlCalls(): Promise<string[]> {
    return (await Deno.readTextFile(this.wrapper.calls)).split("\n")
      .filter((l) => l.includes("--stream-url"));
  }

  async close(): Promise<void> {
    if (this.poller) {
      try {
        this.poller.process.kill("SIGTERM");
      } catch {
        // Already exited.
      }
      await this.poller.result;
    }
    killLeftovers(this.pids);
    await this.gql.close();
    await this.hls.close();
    await this.sandbox[Symbol.asyncDispose]();
  }
}

/** Users of `s` capturing with bytes written, sorted. */
const capturing = (s: StatusSnapshot) =>
  s.recordings.filter((r) => r.state === "capturing" && r.bytes > 0).map((r) => r.user).sort();

Deno.test("poller with the GraphQL detector: 100 channels, exactly the 3 live ones recorded with their broadcast's id and start, no streamlink probe", async () => {
  const world = await GqlWorld.start();
  const { sandbox, gql, hls } = world;
  try {
    await Deno.writeTextFile(world.usersFile, CHANNELS.join("\n") + "\n");
    const createdAt = new Date(Date.now() - 60_000).toISOString();
    world.goLive(LIVE, createdAt);
    gql.setUnknown("chan_099");
    world.startPoller();

    const recording = await world.waitStatus(
      "the 3 live channels capturing",
      (s) => capturing(s).length === 3,
    );
    assert.deepEqual(capturing(recording), LIVE);
    const settled = await world.waitStatus(
      "a cycle that finds all 3 already recording",
      (s) => s.poller.skipped.filter((k) => k.reason === "already recording").length === 3,
    );
    assert.equal(settled.poller.detector, "gql");
    assert.deepEqual(settled.poller.live, LIVE);
    assert.equal(settled.poller.detector_error, null);
    assert.deepEqual(settled.recordings.map((r) => r.user).sort(), LIVE, "exactly those 3");
    assert.deepEqual(
      (await Array.fromAsync(Deno.readDir(join(sandbox.stateDir, "logs")))).map((e) => e.name)
        .sort(),
      LIVE.map((user) => `${user}.log`),
    );
    const pollerFile = JSON.parse(
      await Deno.readTextFile(join(sandbox.stateDir, "poller.status.json")),
    );
    assert.deepEqual(pollerFile.unknown, ["chan_099"]);
    assert.equal(pollerFile.offline.length, 96);

    // Outside evidence: streamlink ran only as the 3 recorders, never as a probe.
    const calls = (await Deno.readTextFile(world.wrapper.calls)).split("\n").filter(Boolean);
    assert.deepEqual(await world.streamUrlCalls(), []);
    assert.ok(calls.length >= 3, calls.join("\n"));
    // Each request stayed within Twitch's 35 operations (the fake answers 400 above that).
    assert.ok(gql.requests.length >= 6, `${gql.requests.length} requests`);
    assert.ok(gql.requests.every((r) => r.ops <= 35 && r.clientId !== null));

    // The launched sessions carry the broadcast's id and start; status shows the lateness.
    for (const user of LIVE) {
      const entry = (await Array.fromAsync(Deno.readDir(sandbox.tempDir)))
        .find((e) => e.name.startsWith(`${user}_`) && e.name.endsWith(".session.json"));
      assert.ok(entry, `manifest of ${user}`);
      const manifest = await readManifest(join(sandbox.tempDir, entry.name));
      assert.equal(manifest?.stream_id, `stream-${user}`);
      assert.equal(manifest?.live_since, createdAt);
      assert.ok(manifest?.first_data_at, "first data time");
      const view = settled.recordings.find((r) => r.user === user)!;
      assert.equal(view.live_since, createdAt);
      const late = (Date.parse(manifest.first_data_at) - Date.parse(createdAt)) / 1000;
      assert.ok(view.late_seconds !== null && Math.abs(view.late_seconds - late) < 0.1);
      assert.ok(late >= 60, `captured ${late} s after the broadcast began`);
      const log = await Deno.readTextFile(join(sandbox.stateDir, "logs", `${user}.log`));
      assert.match(log, new RegExp(`First data [\\d.]+ s after the broadcast "?stream-${user}"?`));
    }

    const stopped = await world.stopPoller();
    assert.equal(stopped.code, 0, stopped.stderr);
    const count = (pattern: RegExp) => stopped.stderr.match(new RegExp(pattern, "g"))?.length ?? 0;
    assert.equal(count(/Twitch does not know the channel "?chan_099"?/), 1, stopped.stderr);
    assert.match(stopped.stderr, /detecting with "?gql"?/);

    for (const user of LIVE) hls.end(user);
    await world.waitStatus("every recording finished", (s) => s.recordings.length === 0, 300_000);
  } finally {
    await world.close();
  }
});

Deno.test("poller with the GraphQL detector falls back to streamlink probes while the API fails and stops probing once it answers again", async () => {
  const world = await GqlWorld.start();
  const { gql, hls } = world;
  try {
    // 10 channels: 100 probes cost a minute of CPU.
    await Deno.writeTextFile(
      world.usersFile,
      [...CHANNELS.slice(25, 32), ...LIVE].join("\n") + "\n",
    );
    world.goLive(LIVE, new Date(Date.now() - 60_000).toISOString());
    world.startPoller();
    await world.waitStatus(
      "the 3 live channels capturing, found by the API",
      (s) => s.poller.detector === "gql" && capturing(s).length === 3,
    );

    // API down: the cycle probes with streamlink and still finds every live channel, including
    // one that went live meanwhile.
    gql.setMode("error500");
    hls.goLive("chan_030");
    const fallback = await world.waitStatus(
      "chan_030 found by streamlink probes and capturing",
      (s) => s.poller.detector === "streamlink" && capturing(s).includes("chan_030"),
      300_000,
    );
    assert.match(fallback.poller.detector_error?.message ?? "", /^HTTP 500 from "http:\/\/127/);
    const probes = await world.streamUrlCalls();
    assert.ok(probes.length >= 10, probes.join("\n"));
    const probeCycle = await world.waitStatus(
      "a streamlink cycle that sees all 4 live",
      (s) => s.poller.detector === "streamlink" && s.poller.live.length === 4,
      300_000,
    );
    assert.deepEqual(probeCycle.poller.live.sort(), [...LIVE, "chan_030"].sort());

    // The API answers again: back to no probes.
    gql.setMode("ok");
    gql.goLive("chan_030");
    await world.waitStatus("a gql cycle", (s) => s.poller.detector === "gql", 300_000);
    const before = (await world.streamUrlCalls()).length;
    let lastPoll = (await world.status()).poller.last_poll;
    for (const cycle of ["another gql cycle", "a third"]) {
      const next = await world.waitStatus(cycle, (s) => s.poller.last_poll !== lastPoll, 120_000);
      lastPoll = next.poller.last_poll;
    }
    assert.equal((await world.streamUrlCalls()).length, before, "no probes while the API answers");

    const stopped = await world.stopPoller();
    assert.equal(stopped.code, 0, stopped.stderr);
    const count = (pattern: RegExp) => stopped.stderr.match(new RegExp(pattern, "g"))?.length ?? 0;
    assert.equal(count(/Twitch API \("?gql"?\) failed: '?HTTP 500/), 1, stopped.stderr);
    assert.equal(count(/Twitch API \("?gql"?\) answers again/), 1, stopped.stderr);
  } finally {
    await world.close();
  }
});

Deno.test("poller run refuses helix without a client secret and a gql_url that is not http(s), with exit 2", async () => {
  await using sandbox = await makeSandbox({ urlTemplate: "https://twitch.tv/{user}" });
  const helix = await runCli(sandbox, ["poller", "run"], { env: { TWITCH_DETECT: "helix" } });
  assert.equal(helix.code, 2, helix.stderr);
  assert.match(helix.stderr, /"twitch\.detect" = "helix": "twitch\.client_secret" is not set/);
  const badUrl = await runCli(sandbox, ["poller", "run"], {
    env: { TWITCH_GQL_URL: "ftp://gql.example/gql" },
  });
  assert.equal(badUrl.code, 2, badUrl.stderr);
  assert.match(badUrl.stderr, /Cannot use "twitch\.gql_url" "ftp:\/\/gql\.example\/gql"/);
});

Deno.test("poller with the Helix detector: app token from the client secret, the live channel recorded, the secret never logged", async () => {
  const world = await GqlWorld.start(
    (gql) =>
      `detect = "helix"\nclient_id = "my-app"\n` +
      `helix_url = "${gql.helixUrl}"\noauth_url = "${gql.oauthUrl}"\n`,
    { TWITCH_CLIENT_SECRET: HELIX_SECRET },
  );
  const { sandbox, gql, hls } = world;
  try {
    await Deno.writeTextFile(world.usersFile, CHANNELS.slice(0, 5).join("\n") + "\n");
    hls.goLive("chan_002");
    gql.goLive("chan_002", "helix-stream", new Date().toISOString());
    world.startPoller();
    const seen = await world.waitStatus(
      "chan_002 capturing, found by Helix",
      (s) =>
        s.poller.detector === "helix" &&
        s.recordings.some((r) => r.user === "chan_002" && r.bytes > 0),
    );
    assert.deepEqual(seen.recordings.map((r) => r.user), ["chan_002"]);
    assert.ok(seen.recordings[0]!.live_since, "live_since from Helix's started_at");
    assert.equal(gql.tokens, 1);
    assert.ok(gql.requests.every((r) => r.clientId === "my-app" && r.ops === 5));

    const stopped = await world.stopPoller();
    assert.equal(stopped.code, 0, stopped.stderr);
    const pollerFile = await Deno.readTextFile(join(sandbox.stateDir, "poller.status.json"));
    for (const text of [stopped.stderr, stopped.stdout, pollerFile]) {
      assert.ok(!text.includes(HELIX_SECRET), text);
    }
    hls.end("chan_002");
    await world.waitStatus("the recording finished", (s) => s.recordings.length === 0);
  } finally {
    await world.close();
  }
});
