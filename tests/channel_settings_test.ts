/**
 * End-to-end: `[channel.<login>]` tables and config reloads under a real `poller run` with real
 * streamlinks against the local HLS server. What a streamlink was asked for is read from its
 * `/proc/<pid>/cmdline`, found by the sandbox's temp dir.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
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
import { clipBroadcast } from "../testing/clips.ts";
import { eventually } from "../testing/eventually.ts";
import { frameHashes, frameHashesOf, repeatedFrames } from "../testing/frames.ts";
import { startHlsServer } from "../testing/hls_server.ts";
import { type FakeGqlServer, HELIX_SECRET, startGqlServer } from "../testing/gql_server.ts";
import { isAlive, type LiveProcess, streamlinksWith } from "../testing/processes.ts";

interface ConfigState {
  path: string;
  in_force: boolean;
  loaded_at: string;
  error?: { at: string; message: string };
}

/** The streamlink capturing `user` in this sandbox (by its part path), with its argv. */
async function streamlinkOf(sandbox: Sandbox, user: string): Promise<LiveProcess | undefined> {
  return (await streamlinksWith(join(sandbox.tempDir, `${user}_`)))[0];
}

/** The quality a streamlink was started with: its last argument. */
function qualityOf(process: LiveProcess): string | undefined {
  return process.argv.at(-1);
}

/**
 * The poller's config state from `status --json`. Right after a broken edit, until the poller
 * has refused the file, `status` refuses it too (exit 2): that reads as "not yet" (null).
 */
async function pollerConfig(sandbox: Sandbox, configPath: string): Promise<ConfigState | null> {
  const result = await runCli(sandbox, ["--config", configPath, "status", "--json"]);
  if (result.code === 2 && /Unknown key|expected/.test(result.stderr)) return null;
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout).poller.config;
}

function channelTables(qualities: Record<string, string>): string {
  return Object.entries(qualities)
    .map(([user, quality]) => `\n[channel.${user}]\nquality = "${quality}"\n`)
    .join("");
}

Deno.test("two channels record at their own quality; an edit mid-capture leaves the capture alone and reaches the next recording; a broken edit keeps the last good config", async () => {
  const { script, segments } = await clipBroadcast(30);
  const server = await startHlsServer({ windowSize: 40, endGraceMs: 1200 });
  const leftovers = new Set<number>();
  try {
    await using sandbox = await makeSandbox();
    const configPath = join(sandbox.home, "channels.toml");
    const usersFile = join(sandbox.home, "users.txt");
    const base = defaultConfig(sandbox, server.urlTemplate, pollerSection(usersFile));
    const write = (qualities: Record<string, string>) =>
      Deno.writeTextFile(configPath, base + channelTables(qualities));
    await write({ chan_a: "720p,best", chan_b: "worst" });
    await Deno.writeTextFile(usersFile, "chan_a\nchan_b\n");
    server.playScript("chan_a", script);
    server.goLive("chan_b");
    const poller = spawnCli(sandbox, ["--config", configPath, "poller", "run"]);
    leftovers.add(poller.pid);

    // Each streamlink carries its own channel's quality.
    const [a, b] = await eventually("both streamlinks", async () => {
      const found = [await streamlinkOf(sandbox, "chan_a"), await streamlinkOf(sandbox, "chan_b")];
      return found.every(Boolean) ? found as LiveProcess[] : undefined;
    }, 60_000);
    for (const p of [a!, b!]) leftovers.add(p.pid);
    assert.equal(qualityOf(a!), "720p,best", a!.argv.join(" "));
    assert.equal(qualityOf(b!), "worst", b!.argv.join(" "));

    // An edit while both capture: applied, and neither streamlink is touched.
    const before = (await pollerConfig(sandbox, configPath))!;
    await write({ chan_a: "worst", chan_b: "480p,best" });
    await eventually("the edit applied", async () => {
      const state = await pollerConfig(sandbox, configPath);
      return state?.in_force && state.loaded_at !== before.loaded_at ? state : undefined;
    });
    assert.equal((await streamlinkOf(sandbox, "chan_a"))?.pid, a!.pid);
    assert.equal((await streamlinkOf(sandbox, "chan_b"))?.pid, b!.pid);

    // A broken edit: not applied, said in status; the poller and its captures go on.
    await Deno.writeTextFile(configPath, base + `\n[channel.chan_a]\nqualty = "best"\n`);
    const refused = await eventually("the broken edit refused", async () => {
      const state = await pollerConfig(sandbox, configPath);
      return state && !state.in_force ? state : undefined;
    });
    assert.match(refused.error!.message, /Unknown key "channel\.chan_a\.qualty"/);
    assert.equal(refused.path, configPath);
    assert.ok(await isAlive(poller.pid));
    assert.equal((await streamlinkOf(sandbox, "chan_b"))?.pid, b!.pid);

    // chan_a's broadcast ends: one file, every frame once, from its one streamlink.
    const mp4 = await eventually("chan_a delivered", async () => {
      const files = await recordingsOf(sandbox.recordDir, "chan_a");
      return files.length > 0 ? files : undefined;
    }, 300_000);
    assert.equal(mp4.length, 1);
    const frames = await frameHashes(mp4[0]!);
    assert.deepEqual(repeatedFrames(frames), [], "no frame twice");
    assert.deepEqual(frames, await frameHashesOf(segments, sandbox.home), "every frame once");

    // The next recording of chan_a uses the last good config: "worst".
    await write({ chan_a: "worst", chan_b: "480p,best" });
    server.playScript("chan_a", script);
    const next = await eventually("chan_a's next streamlink", async () => {
      const found = await streamlinkOf(sandbox, "chan_a");
      return found && found.pid !== a!.pid ? found : undefined;
    }, 60_000);
    leftovers.add(next.pid);
    assert.equal(qualityOf(next), "worst", next.argv.join(" "));

    poller.kill("SIGTERM");
    await collect(poller);
  } finally {
    killLeftovers(leftovers);
    await server.close();
  }
});

Deno.test("SIGHUP re-reads the config at once: a broken file is refused, a good one applied, the poller and its capture go on", async () => {
  const server = await startHlsServer({ endGraceMs: 1200 });
  const leftovers = new Set<number>();
  try {
    await using sandbox = await makeSandbox();
    const configPath = join(sandbox.home, "hup.toml");
    const usersFile = join(sandbox.home, "users.txt");
    // One cycle an hour: nothing but the SIGHUP re-reads the file.
    const base = defaultConfig(
      sandbox,
      server.urlTemplate,
      pollerSection(usersFile, { interval: 3600 }),
    );
    await Deno.writeTextFile(configPath, base + channelTables({ hup_a: "worst" }));
    await Deno.writeTextFile(usersFile, "hup_a\n");
    server.goLive("hup_a");
    const poller = spawnCli(sandbox, ["--config", configPath, "poller", "run"]);
    leftovers.add(poller.pid);
    const streamlink = await eventually(
      "hup_a capturing",
      () => streamlinkOf(sandbox, "hup_a"),
      60_000,
    );
    leftovers.add(streamlink.pid);
    assert.equal(qualityOf(streamlink), "worst");
    const first = await eventually(
      "status with its config",
      async () => (await pollerConfig(sandbox, configPath)) ?? undefined,
    );

    await Deno.writeTextFile(configPath, base + `\n[channel.hup_a]\nquality = 720\n`);
    Deno.kill(poller.pid, "SIGHUP");
    const refused = await eventually("the broken file refused", async () => {
      const state = await pollerConfig(sandbox, configPath);
      return state && !state.in_force ? state : undefined;
    });
    assert.match(refused.error!.message, /"channel\.hup_a\.quality"/);
    assert.ok(await isAlive(poller.pid), "SIGHUP does not end the poller");

    await Deno.writeTextFile(configPath, base + channelTables({ hup_a: "best" }));
    Deno.kill(poller.pid, "SIGHUP");
    const applied = await eventually("the good file applied", async () => {
      const state = await pollerConfig(sandbox, configPath);
      return state?.in_force && state.loaded_at !== first.loaded_at ? state : undefined;
    });
    assert.equal(applied.error, undefined);
    assert.equal((await streamlinkOf(sandbox, "hup_a"))?.pid, streamlink.pid);
    assert.ok(await isAlive(poller.pid));

    poller.kill("SIGTERM");
    const stopped = await collect(poller);
    assert.equal(stopped.code, 0, stopped.stderr);
  } finally {
    killLeftovers(leftovers);
    await server.close();
  }
});

Deno.test("an extra_args edit reaches a running capture's next streamlink part, its secret option through a private file, never argv", async () => {
  const server = await startHlsServer({ endGraceMs: 1200 });
  const leftovers = new Set<number>();
  const secret = "OAuth s3cr3t-edit-token";
  try {
    await using sandbox = await makeSandbox();
    const configPath = join(sandbox.home, "extra.toml");
    const usersFile = join(sandbox.home, "users.txt");
    const base = defaultConfig(sandbox, server.urlTemplate, pollerSection(usersFile));
    const write = (extra: string[]) =>
      Deno.writeTextFile(
        configPath,
        base + `\n[channel.xarg_a]\nextra_args = ${JSON.stringify(extra)}\n`,
      );
    await write(["--http-timeout", "30"]);
    await Deno.writeTextFile(usersFile, "xarg_a\n");
    server.goLive("xarg_a");
    const poller = spawnCli(sandbox, ["--config", configPath, "poller", "run"]);
    leftovers.add(poller.pid);
    const first = await eventually(
      "xarg_a capturing",
      () => streamlinkOf(sandbox, "xarg_a"),
      60_000,
    );
    leftovers.add(first.pid);
    assert.ok(first.argv.join(" ").includes("--http-timeout 30"), first.argv.join(" "));

    const before = (await pollerConfig(sandbox, configPath))!;
    await write(["--http-timeout", "31", "--twitch-api-header", `Authorization=${secret}`]);
    await eventually("the edit applied", async () => {
      const state = await pollerConfig(sandbox, configPath);
      return state?.in_force && state.loaded_at !== before.loaded_at ? state : undefined;
    });
    assert.equal(
      (await streamlinkOf(sandbox, "xarg_a"))?.pid,
      first.pid,
      "the running part untouched",
    );

    // The part ends as at a network drop: the capture's next streamlink has the new arguments.
    Deno.kill(first.pid, "SIGKILL");
    const next = await eventually("the next part", async () => {
      const found = await streamlinkOf(sandbox, "xarg_a");
      return found && found.pid !== first.pid ? found : undefined;
    }, 60_000);
    leftovers.add(next.pid);
    const argv = next.argv.join(" ");
    assert.ok(argv.includes("--http-timeout 31"), argv);
    assert.ok(!argv.includes("s3cr3t"), argv);
    const argsFile = next.argv.find((arg) => arg.startsWith("@"))?.slice(1);
    assert.ok(argsFile, argv);
    assert.equal((await Deno.stat(argsFile)).mode! & 0o777, 0o600);
    assert.equal(await Deno.readTextFile(argsFile), `twitch-api-header=Authorization=${secret}\n`);

    poller.kill("SIGTERM");
    await collect(poller);
  } finally {
    killLeftovers(leftovers);
    await server.close();
  }
});

Deno.test("users list shows a renamed channel's table under its old login applying to the new one, until the user writes the new one's", async () => {
  await using sandbox = await makeSandbox();
  const configPath = join(sandbox.home, "tables.toml");
  const usersFile = join(sandbox.home, "users.txt");
  const base = defaultConfig(sandbox, "http://127.0.0.1:9/{user}", pollerSection(usersFile));
  await Deno.writeTextFile(configPath, base + `\n[channel.old_name]\nquality = "worst"\n`);
  await Deno.writeTextFile(usersFile, "old_name\n");
  await Deno.mkdir(sandbox.stateDir, { recursive: true });
  await Deno.writeTextFile(
    join(sandbox.stateDir, "channels.json"),
    JSON.stringify({
      ids: { new_name: "42" },
      renames: [{ from: "old_name", to: "new_name", id: "42", at: "2026-12-07T10:00:00.000Z" }],
    }),
  );
  const list = await runCli(sandbox, ["--config", configPath, "users", "list"]);
  assert.equal(list.code, 0, list.stderr);
  assert.equal(
    list.stdout.trim(),
    `old_name -> new_name (renamed on Twitch)  [channel.old_name] (until [channel.new_name] is written) quality="worst"`,
  );
  assert.doesNotMatch(list.stderr, /not in the users file/);
  const settings = await runCli(sandbox, ["--config", configPath, "users", "list", "--settings"]);
  assert.match(
    settings.stdout,
    /quality = "worst" {2}\(\[channel\.old_name\] .*tables\.toml:\d+\)/,
  );

  await Deno.writeTextFile(
    configPath,
    base + `\n[channel.old_name]\nquality = "worst"\n\n[channel.new_name]\nchat = true\n`,
  );
  const edited = await runCli(sandbox, ["--config", configPath, "users", "list"]);
  assert.equal(
    edited.stdout.trim(),
    "old_name -> new_name (renamed on Twitch)  [channel.new_name] chat=true",
  );
});

/** The `[twitch]` table and environment that make the poller detect with `detector`. */
function detectWith(detector: "gql" | "helix", gql: FakeGqlServer) {
  return detector === "gql"
    ? { table: `\n[twitch]\ndetect = "gql"\ngql_url = "${gql.url}"\n`, env: {} }
    : {
      table: `\n[twitch]\ndetect = "helix"\nclient_id = "my-app"\n` +
        `helix_url = "${gql.helixUrl}"\noauth_url = "${gql.oauthUrl}"\n`,
      env: { TWITCH_CLIENT_SECRET: HELIX_SECRET },
    };
}

for (const detector of ["gql", "helix"] as const) {
  Deno.test(`a channel renamed on Twitch is followed by its user ID (${detector}): its next broadcast recorded under the new name from its first frame, both listed under it`, async () => {
    const { script, segments } = await clipBroadcast(20);
    const hls = await startHlsServer({ windowSize: 40, endGraceMs: 1200 });
    const gql = startGqlServer();
    const leftovers = new Set<number>();
    try {
      await using sandbox = await makeSandbox();
      const configPath = join(sandbox.home, "renames.toml");
      const usersFile = join(sandbox.home, "users.txt");
      const { table, env } = detectWith(detector, gql);
      await Deno.writeTextFile(
        configPath,
        defaultConfig(sandbox, hls.urlTemplate, pollerSection(usersFile)) + table +
          `\n[channel.old_name]\nquality = "worst"\n`,
      );
      await Deno.writeTextFile(usersFile, "# watched\nold_name\n");
      const poller = spawnCli(sandbox, ["--config", configPath, "poller", "run"], { env });
      leftovers.add(poller.pid);

      // A first broadcast under the old name: the poller learns the channel's user ID.
      hls.goLive("old_name");
      gql.goLive("old_name", "stream-1");
      const first = await eventually(
        "old_name capturing",
        () => streamlinkOf(sandbox, "old_name"),
        60_000,
      );
      leftovers.add(first.pid);
      await eventually("old_name's part growing", async () => {
        const status = await runCli(sandbox, ["--config", configPath, "status", "--json"], { env });
        const recordings = JSON.parse(status.stdout).recordings as {
          user: string;
          bytes: number;
        }[];
        return recordings.some((r) => r.user === "old_name" && r.bytes > 200_000);
      }, 60_000);
      hls.end("old_name");
      gql.goOffline("old_name");
      await eventually("old_name delivered", async () => {
        const files = await recordingsOf(sandbox.recordDir, "old_name");
        return files.length > 0 ? files : undefined;
      }, 300_000);

      // The rename, and a broadcast under the new name at once.
      gql.rename("old_name", "new_name");
      hls.playScript("new_name", script);
      gql.goLive("new_name", "stream-2");
      // The table written for the old login applies to the new one.
      const second = await eventually(
        "new_name capturing",
        () => streamlinkOf(sandbox, "new_name"),
        60_000,
      );
      leftovers.add(second.pid);
      assert.equal(qualityOf(second), "worst", second.argv.join(" "));
      const mp4 = await eventually("new_name delivered", async () => {
        const files = await recordingsOf(sandbox.recordDir, "new_name");
        return files.length > 0 ? files : undefined;
      }, 300_000);
      assert.equal(mp4.length, 1);
      const frames = await frameHashes(mp4[0]!);
      assert.deepEqual(frames, await frameHashesOf(segments, sandbox.home), "from its first frame");

      const status = await runCli(sandbox, ["--config", configPath, "status", "--json"], { env });
      const renamed = JSON.parse(status.stdout).poller.renamed;
      assert.deepEqual(renamed.map((r: { from: string; to: string }) => [r.from, r.to]), [[
        "old_name",
        "new_name",
      ]]);
      // "follow" (the default) leaves the users file as the user wrote it.
      assert.equal(await Deno.readTextFile(usersFile), "# watched\nold_name\n");
      const users = await runCli(sandbox, ["--config", configPath, "users", "list"], { env });
      assert.equal(
        users.stdout.trim(),
        `old_name -> new_name (renamed on Twitch)  [channel.old_name] (until [channel.new_name] is written) quality="worst"`,
      );
      const history = await runCli(sandbox, ["--config", configPath, "history", "--json"], { env });
      const listed = JSON.parse(history.stdout).recordings as {
        user: string;
        recorded_as?: string;
      }[];
      assert.deepEqual(
        listed.map((r) => [r.user, r.recorded_as ?? null]).sort(),
        [["new_name", null], ["new_name", "old_name"]],
      );

      poller.kill("SIGTERM");
      await collect(poller);
    } finally {
      killLeftovers(leftovers);
      await gql.close();
      await hls.close();
    }
  });
}
