/**
 * End-to-end under umask 022 (the usual default): every folder of twitchtool's own state, logs,
 * runtime and queue is 0700, whether created by this run or left wider by an older one.
 */
import { eventually } from "../testing/eventually.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { cliCommandArgs, collect, makeSandbox, type Sandbox } from "../testing/cli.ts";

/** Runs the CLI through `sh` with umask 022. */
function spawnWithUmask(sandbox: Sandbox, args: readonly string[]): Deno.ChildProcess {
  return new Deno.Command("sh", {
    args: ["-c", 'umask 022; exec "$0" "$@"', Deno.execPath(), ...cliCommandArgs(args)],
    env: sandbox.env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function modeOf(path: string): Promise<string> {
  return (((await Deno.stat(path)).mode ?? 0) & 0o777).toString(8).padStart(4, "0");
}

async function modes(sandbox: Sandbox): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  const dirs = {
    state: sandbox.stateDir,
    logs: join(sandbox.stateDir, "logs"),
    runtime: sandbox.runtimeDir,
    queue: sandbox.queueDir,
  };
  for (const [name, dir] of Object.entries(dirs)) result[name] = await modeOf(dir);
  return result;
}

const PRIVATE = { state: "0700", logs: "0700", runtime: "0700", queue: "0700" };

Deno.test("under umask 022 a recorder creates its state, logs, runtime and queue folders 0700 and fixes older 0755 ones", async () => {
  await using sandbox = await makeSandbox({ urlTemplate: "hls://http://127.0.0.1:9/{user}" });
  // An older version's folders, open to everyone.
  await Deno.mkdir(join(sandbox.stateDir, "logs"), { recursive: true });
  await Deno.chmod(sandbox.stateDir, 0o755);
  await Deno.chmod(join(sandbox.stateDir, "logs"), 0o755);
  const result = await collect(spawnWithUmask(sandbox, ["record", "nobody_home"]));
  assert.equal(result.code, 5, result.stderr);
  assert.deepEqual(await modes(sandbox), PRIVATE);
  assert.equal(await modeOf(sandbox.tempDir), "0700");
});

Deno.test("under umask 022 a poller's first start creates its folders 0700", async () => {
  await using sandbox = await makeSandbox({ urlTemplate: "hls://http://127.0.0.1:9/{user}" });
  const usersFile = join(sandbox.home, ".config", "twitchtool", "users.txt");
  await Deno.writeTextFile(usersFile, "");
  const poller = spawnWithUmask(sandbox, ["poller", "run", "--users-file", usersFile]);
  const result = collect(poller);
  try {
    await eventually("the poller's status", async () => {
      const text = await Deno.readTextFile(join(sandbox.stateDir, "poller.status.json"))
        .catch(() => "");
      return text.includes('"running"');
    }, 300_000);
  } finally {
    poller.kill("SIGTERM");
  }
  const done = await result;
  assert.equal(done.code, 0, done.stderr);
  assert.deepEqual(await modes(sandbox), PRIVATE);
});
