/**
 * End-to-end: nothing piles up in the runtime dir. `recover` removes its per-session lock files,
 * and a poller killed with -9 leaves private args files (they hold tokens) that the next poller
 * removes when it starts.
 */
import { eventually } from "../testing/eventually.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  collect,
  defaultConfig,
  listDir,
  makeSandbox,
  runCli,
  type Sandbox,
  spawnCli,
} from "../testing/cli.ts";
import { ensureSegments } from "../testing/segments.ts";

Deno.test("recover leaves no lock file behind, one per recovered session", async () => {
  const segments = await ensureSegments();
  await using sandbox = await makeSandbox({ urlTemplate: "hls://http://127.0.0.1:9/{user}" });
  await Deno.mkdir(sandbox.tempDir, { recursive: true });
  for (const user of ["litter_a", "litter_b"]) {
    const bytes = (await Promise.all(segments.files.slice(0, 3).map((f) => Deno.readFile(f))))
      .flatMap((chunk) => [...chunk]);
    await Deno.writeFile(
      join(sandbox.tempDir, `${user}_2026-01-02_03-04-05_part01.ts`),
      new Uint8Array(bytes),
    );
  }
  const result = await runCli(sandbox, ["recover"]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /Recovered litter_a/);
  assert.match(result.stdout, /Recovered litter_b/);
  assert.deepEqual(await listDir(join(sandbox.runtimeDir, "recover")), []);
  const mode = (await Deno.stat(join(sandbox.runtimeDir, "recover"))).mode! & 0o777;
  assert.equal(mode.toString(8), "700");
});

/** Starts a poller with a secret streamlink option; resolves once it has polled. */
async function startPoller(sandbox: Sandbox, configPath: string) {
  const process = spawnCli(sandbox, ["--config", configPath, "poller", "run"]);
  const result = collect(process);
  await eventually("the poller to poll", async () => {
    const status = await runCli(sandbox, ["--config", configPath, "status", "--json"]);
    const poller = JSON.parse(status.stdout || "{}")?.poller;
    // This poller's own status: a killed one's stays behind.
    return poller?.pid === process.pid && poller?.last_poll;
  }, 300_000);
  return { process, result };
}

Deno.test("a poller killed with -9 leaves its args file to the next poller, which removes it at start", async () => {
  await using sandbox = await makeSandbox();
  const usersFile = join(sandbox.home, "channels.txt");
  await Deno.writeTextFile(usersFile, "");
  const configPath = join(sandbox.home, "poller.toml");
  await Deno.writeTextFile(
    configPath,
    defaultConfig(
      sandbox,
      "hls://http://127.0.0.1:9/{user}",
      `\n[poller]\nusers_file = "${usersFile}"\ninterval = 1\n`,
    ).replace(
      'extra_args = ["--stream-timeout", "3"]',
      'extra_args = ["--stream-timeout", "3", "--twitch-api-header", "Authorization=OAuth litter123"]',
    ),
  );
  const argsDir = join(sandbox.runtimeDir, "streamlink");
  const first = await startPoller(sandbox, configPath);
  const left = (await listDir(argsDir)).filter((name) => name.endsWith(".args"));
  assert.equal(left.length, 1, `args files: ${left}`);
  first.process.kill("SIGKILL");
  await first.result;
  assert.deepEqual(
    (await listDir(argsDir)).filter((name) => name.endsWith(".args")),
    left,
    "a kill -9 cannot clean up",
  );

  const doctor = await runCli(sandbox, ["--config", configPath, "doctor"]);
  assert.match(doctor.stdout + doctor.stderr, new RegExp(`${left[0]!.replace(".", "\\.")}`));

  const second = await startPoller(sandbox, configPath);
  const now = (await listDir(argsDir)).filter((name) => name.endsWith(".args"));
  assert.ok(!now.includes(left[0]!), `the dead poller's file is still there: ${now}`);
  second.process.kill("SIGTERM");
  const done = await second.result;
  assert.equal(done.code, 0, done.stderr);
  assert.deepEqual(await listDir(argsDir), []);
});
