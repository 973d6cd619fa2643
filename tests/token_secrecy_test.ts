/**
 * End-to-end: an OAuth token in `streamlink.extra_args` never reaches a file another user could
 * read or a command line (`/proc/<pid>/cmdline`), even with `record.loglevel = "debug"` where
 * streamlink echoes its arguments: a real poller launches a real recorder against the local HLS
 * server, and every file under the test HOME and every process's command line is searched for the
 * token during and after the recording.
 */
import { processesWith } from "../testing/processes.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  collect,
  defaultConfig,
  listDir,
  makeSandbox,
  pollerSection,
  runCli,
  spawnCli,
} from "../testing/cli.ts";
import { eventually } from "../testing/eventually.ts";
import { startHlsServer } from "../testing/hls_server.ts";

const TOKEN = `tok${crypto.randomUUID().replaceAll("-", "")}`;
const ENCODER = new TextEncoder();

/** Whether `haystack` contains the bytes of `needle`. */
function includesBytes(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let start = 0; start + needle.length <= haystack.length; start++) {
    for (let index = 0; index < needle.length; index++) {
      if (haystack[start + index] !== needle[index]) continue outer;
    }
    return true;
  }
  return false;
}

/** Processes whose command line holds the token. */
async function cmdlinesWithToken(): Promise<string[]> {
  return (await processesWith(TOKEN)).map(({ pid, argv }) => `${pid}: ${argv.join(" ")}`);
}

/** Every file under `dir` (not following links), with its mode; folders listed too. */
async function walk(dir: string, found: { path: string; mode: number; dir: boolean }[] = []) {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    const info = await Deno.lstat(path);
    found.push({ path, mode: info.mode! & 0o777, dir: info.isDirectory });
    if (info.isDirectory) await walk(path, found);
  }
  return found;
}

/**
 * One poller recording `secret_ch` with loglevel debug and an OAuth header: hosted in the
 * poller (the default download_cmd) or as a launched `record` process (a custom one).
 */
async function secretRecording(launched: boolean): Promise<void> {
  const server = await startHlsServer({ endGraceMs: 1200 });
  await using sandbox = await makeSandbox();
  const usersFile = join(sandbox.home, "channels.txt");
  await Deno.writeTextFile(usersFile, "secret_ch\n");
  await sandbox.writeConfig(
    defaultConfig(sandbox, server.urlTemplate)
      .replace("[record]\n", '[record]\nloglevel = "debug"\n')
      .replace(
        'extra_args = ["--stream-timeout", "3"]',
        `extra_args = ["--stream-timeout", "3", "--twitch-api-header", "Authorization=OAuth ${TOKEN}"]`,
      ) +
      pollerSection(usersFile) +
      (launched ? `download_cmd = "twitchtool record --loglevel debug"\n` : ""),
  );
  const config = await Deno.readTextFile(sandbox.configPath);
  assert.ok(config.includes(TOKEN) && config.includes('loglevel = "debug"'));
  server.goLive("secret_ch");
  const poller = spawnCli(sandbox, ["poller", "run"]);
  const pollerResult = collect(poller);
  const leaks: string[] = [];
  let recorderPid = 0;
  try {
    await eventually("secret_ch capturing", async () => {
      leaks.push(...await cmdlinesWithToken());
      const status = await runCli(sandbox, ["status", "--json"]);
      const recording = JSON.parse(status.stdout).recordings.find((
        r: { user: string; state: string; bytes: number },
      ) => r.user === "secret_ch" && r.state === "capturing" && r.bytes > 0);
      if (recording) recorderPid = recording.pid;
      return recording !== undefined;
    }, 60_000);
    for (let round = 0; round < 10; round++) {
      leaks.push(...await cmdlinesWithToken());
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    server.end("secret_ch");
    await eventually("the recording to finish", async () => {
      leaks.push(...await cmdlinesWithToken());
      const names = await listDir(sandbox.recordDir);
      return names.some((name) => name.startsWith("secret_ch_") && name.endsWith(".mp4")) &&
        JSON.parse((await runCli(sandbox, ["status", "--json"])).stdout).recordings.length === 0;
    }, 60_000);
  } finally {
    poller.kill("SIGTERM");
    await pollerResult;
    if (recorderPid) {
      try {
        Deno.kill(recorderPid, "SIGKILL");
      } catch {
        // Finished, as expected.
      }
    }
    await server.close();
  }
  assert.deepEqual(leaks, [], "the token was on a command line");

  const log = await Deno.readTextFile(join(sandbox.stateDir, "logs", "secret_ch.log"));
  if (launched) {
    // The recorder reads streamlink's output and masks it before it reaches the file.
    assert.match(
      log,
      /--twitch-api-header=\[\('Authorization', '\*\*\*'\)\]/,
      `streamlink echoed its arguments, masked:\n${log}`,
    );
  } else {
    // A hosted recording's detached streamlink writes the file itself: it must not echo.
    assert.match(log, /streamlink runs at loglevel "?info"?, not "?debug"?/, log);
    assert.match(log, /Stream data flowing/, "the session's own lines are in its log too");
  }
  const files = await walk(sandbox.home);
  const withToken: string[] = [];
  for (const file of files) {
    if (file.dir || file.path === sandbox.configPath) continue;
    const info = await Deno.lstat(file.path);
    if (!info.isFile) continue;
    if (includesBytes(await Deno.readFile(file.path), ENCODER.encode(TOKEN))) {
      withToken.push(file.path);
    }
  }
  assert.deepEqual(withToken, [], "files holding the token besides the config");

  const state = files.filter((file) =>
    file.path.startsWith(sandbox.stateDir) || file.path.startsWith(sandbox.tempDir) ||
    file.path.startsWith(sandbox.runtimeDir)
  );
  assert.ok(state.some((file) => file.path.endsWith(".log")));
  assert.ok(state.some((file) => file.path.includes(`${join("encode-queue", "jobs")}/`)));
  const open = state.filter((file) => (file.mode & 0o077) !== 0);
  assert.deepEqual(
    open.map((file) => `${file.path} ${file.mode.toString(8)}`),
    [],
    "state open to others",
  );
}

Deno.test("with loglevel debug the OAuth token is in no file under HOME and no process command line (recording hosted by the poller)", () =>
  secretRecording(false));

Deno.test("with loglevel debug the OAuth token is in no file under HOME and no process command line (launched record process)", () =>
  secretRecording(true));
