/**
 * End-to-end: a hosted recording's `<user>.log` (the poller's lines for it and its detached
 * streamlinks' output) is rotated by size and no line goes missing.
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

const count = (text: string, pattern: RegExp) => text.match(new RegExp(pattern, "g"))?.length ?? 0;

Deno.test("a hosted recording's log rotates at [logging] max_log_mb, keeps 3 old logs and every line", async () => {
  const server = await startHlsServer({ endGraceMs: 1200 });
  await using sandbox = await makeSandbox();
  const usersFile = join(sandbox.home, "channels.txt");
  await Deno.writeTextFile(usersFile, "rot_user\n");
  const configPath = join(sandbox.home, "poller.toml");
  await Deno.writeTextFile(
    configPath,
    defaultConfig(
      sandbox,
      server.urlTemplate,
      pollerSection(usersFile) +
        `\n[logging]\nmax_log_mb = 0.001\n`,
    ),
  );
  const poller = spawnCli(sandbox, ["--config", configPath, "poller", "run"]);
  const result = collect(poller);
  const logPath = join(sandbox.stateDir, "logs", "rot_user.log");
  try {
    server.goLive("rot_user");
    await eventually("a few capture reports", async () => {
      const status = await runCli(sandbox, ["--config", configPath, "status", "--json"]);
      const recording = JSON.parse(status.stdout).recordings?.[0];
      return recording && recording.bytes > 300_000;
    }, 300_000);
    server.end("rot_user");
    await eventually("the finished recording", async () => {
      return (await recordingsOf(sandbox.recordDir, "rot_user")).length === 1;
    }, 300_000);
  } finally {
    poller.kill("SIGTERM");
    await server.close();
  }
  const done = await result;
  assert.equal(done.code, 0, done.stderr);
  const files = ["", ".3", ".2", ".1"].map((suffix) => `${logPath}${suffix}`);
  const texts = await Promise.all(files.map((f) => Deno.readTextFile(f).catch(() => "")));
  assert.ok(texts[3]!.length > 0, "rot_user.log.1 exists");
  await assert.rejects(Deno.stat(`${logPath}.4`), Deno.errors.NotFound);
  for (const text of texts.slice(1).filter(Boolean)) {
    assert.ok(text.length >= 1024, `rotated before 1 KiB: ${text}`);
  }
  const all = texts.slice(1).join("") + texts[0];
  // The poller's lines for the session, each exactly once across the files.
  for (const line of [/Recording "rot_user" in slot 1/, /Capture ended/]) {
    assert.equal(count(all, line), 1, `${line} in ${all}`);
  }
  // And every line the poller logged for the recording: the Capturing reports it printed.
  assert.equal(count(all, /Capturing "rot_user"/), count(done.stderr, /Capturing "rot_user"/));
});
