/**
 * End-to-end: the real `poller run` against hostile users files (a FIFO, a link to /dev/zero,
 * a file far over the size limit): it never hangs, never eats memory, says each problem once
 * and stops promptly on SIGTERM.
 */
import { eventually } from "../testing/eventually.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  collect,
  defaultConfig,
  makeSandbox,
  pollerSection,
  runCli,
  type Sandbox,
  spawnCli,
} from "../testing/cli.ts";

/** Writes a poller config whose users file is `usersFile`, polling every second. */
async function pollerConfig(sandbox: Sandbox, usersFile: string): Promise<string> {
  const path = join(sandbox.home, "poller.toml");
  await Deno.writeTextFile(
    path,
    defaultConfig(
      sandbox,
      "http://127.0.0.1:9/{user}",
      pollerSection(usersFile, { timeout: 5 }),
    ),
  );
  return path;
}

/** Runs a poller until it has polled a few cycles, then SIGTERMs it; returns its stderr. */
async function pollBriefly(sandbox: Sandbox, configPath: string): Promise<string> {
  const poller = spawnCli(sandbox, ["--config", configPath, "poller", "run"]);
  const result = collect(poller);
  try {
    let polls = 0;
    let seen: string | undefined;
    await eventually("three poll cycles", async () => {
      const status = await runCli(sandbox, ["--config", configPath, "status", "--json"]);
      const state = JSON.parse(status.stdout || "{}")?.poller;
      const lastPoll = state?.pid === poller.pid ? state?.last_poll : undefined;
      if (lastPoll && lastPoll !== seen) {
        seen = lastPoll;
        polls++;
      }
      return polls >= 3;
    }, 300_000);
  } finally {
    poller.kill("SIGTERM");
  }
  const done = await result;
  assert.equal(done.code, 0, done.stderr);
  return done.stderr;
}

const count = (text: string, pattern: RegExp) => text.match(new RegExp(pattern, "g"))?.length ?? 0;

Deno.test("poller with a FIFO as users file keeps polling, says so once and stops on SIGTERM", async () => {
  await using sandbox = await makeSandbox();
  const usersFile = join(sandbox.home, "channels.txt");
  const mkfifo = await new Deno.Command("mkfifo", { args: [usersFile] }).output();
  assert.equal(mkfifo.code, 0);
  const stderr = await pollBriefly(sandbox, await pollerConfig(sandbox, usersFile));
  assert.equal(
    count(stderr, /Cannot read users file ".*channels\.txt": it is a FIFO, not a regular file/),
    1,
    stderr,
  );
  assert.match(stderr, /watching no channels until it is fixed/);
});

Deno.test("poller refuses a users file linked to /dev/zero or over 1 MiB, and sums up bad lines once", async () => {
  await using sandbox = await makeSandbox();
  const usersFile = join(sandbox.home, "channels.txt");
  await Deno.symlink("/dev/zero", usersFile);
  const configPath = await pollerConfig(sandbox, usersFile);
  const zero = await pollBriefly(sandbox, configPath);
  assert.equal(count(zero, /it is not a regular file \(a device or socket\)/), 1, zero);

  await Deno.remove(usersFile);
  await Deno.writeTextFile(usersFile, "bad-name!\n".repeat(120_000));
  const big = await pollBriefly(sandbox, configPath);
  assert.equal(count(big, /it is larger than the 1 MiB limit for a users file/), 1, big);

  await Deno.writeTextFile(usersFile, "offline_one\n" + "bad-name!\n".repeat(10_000));
  const bad = await pollBriefly(sandbox, configPath);
  assert.equal(count(bad, /Skipping/), 1, bad);
  assert.match(
    bad,
    /Skipping 10000 invalid channel name\(s\) in .*"bad-name!" \(line 2\).* and 9995 more/,
  );
});
