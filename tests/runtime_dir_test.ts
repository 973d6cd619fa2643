/**
 * End-to-end: the runtime dir (locks, slot owners) is private to one HOME by default and is
 * never used when it is a symbolic link, someone else's, or open to other users.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ExitCode } from "../src/errors.ts";
import { listDir, makeSandbox, runCli, type Sandbox, spawnCli } from "../testing/cli.ts";
import { eventually } from "../testing/eventually.ts";

/** Nothing listens on port 9: every capture attempt fails fast. */
const OFFLINE = "hls://http://127.0.0.1:9/live/{user}/index.m3u8";

/** A config without `paths.runtime_dir`, so the default applies (the sandbox has no XDG_*). */
function defaultRuntimeConfig(retryWindow: number): string {
  return `[storage]
disk_free_min_bytes = 1048576

[record]
retry_delay = 0.5
retry_window = ${retryWindow}

[streamlink]
url_template = "${OFFLINE}"
extra_args = ["--stream-timeout", "3"]
`;
}

Deno.test("without XDG_RUNTIME_DIR two HOMEs do not share channel locks", async () => {
  await using first = await makeSandbox();
  await using second = await makeSandbox();
  await first.writeConfig(defaultRuntimeConfig(60));
  await second.writeConfig(defaultRuntimeConfig(0.5));
  const holder = spawnCli(first, ["record", "shared_ch"]);
  try {
    const lock = join(
      first.home,
      ".local",
      "state",
      "twitchtool",
      "run",
      "users",
      "shared_ch.lock",
    );
    await eventually("the first HOME's recorder to hold its channel lock", async () => {
      const status = await runCli(first, ["status", "--json"]);
      return status.code === 0 &&
        JSON.parse(status.stdout).recordings.some((r: { user: string }) => r.user === "shared_ch");
    });
    assert.ok((await Deno.lstat(lock)).isFile, `lock under the first HOME: ${lock}`);
    const other = await runCli(second, ["record", "shared_ch"]);
    assert.doesNotMatch(other.stderr, /already being recorded/);
    assert.equal(other.code, ExitCode.NothingCaptured, other.stderr);
  } finally {
    holder.kill("SIGINT");
    await holder.output();
  }
});

/** Writes a config whose runtime dir is `runtimeDir`. */
async function useRuntimeDir(sandbox: Sandbox, runtimeDir: string): Promise<void> {
  await sandbox.writeConfig(`[paths]\nruntime_dir = "${runtimeDir}"\n\n` + defaultRuntimeConfig(1));
}

/** A planted folder with a stale-looking owner file that `status` would delete if it trusted it. */
async function plantedFolder(sandbox: Sandbox, name: string): Promise<string> {
  const dir = join(sandbox.home, name);
  await Deno.mkdir(join(dir, "users"), { recursive: true });
  await Deno.writeTextFile(
    join(dir, "slot1.owner"),
    JSON.stringify({ pid: 1, username: "victim", started_at: "", state: "capturing" }),
  );
  return dir;
}

async function assertRefused(sandbox: Sandbox, dir: string, runtimeDir: string, why: RegExp) {
  const before = await listDir(dir);
  for (const args of [["status"], ["record", "someone"], ["clean"]]) {
    const result = await runCli(sandbox, args);
    assert.equal(result.code, ExitCode.Usage, `${args[0]}: ${result.stderr}`);
    const lines = result.stderr.trim().split("\n");
    assert.equal(lines.length, 1, `one line from ${args[0]}: ${result.stderr}`);
    assert.match(lines[0]!, new RegExp(`Refusing runtime dir "${runtimeDir}": ${why.source}`));
  }
  const doctor = await runCli(sandbox, ["doctor"]);
  assert.equal(doctor.code, 1, doctor.stdout);
  assert.match(
    doctor.stdout,
    new RegExp(`FAIL {2}runtime folder: Refusing runtime dir "${runtimeDir}"`),
  );
  assert.match(doctor.stdout, /FAIL {2}stale state: Refusing runtime dir/);
  assert.deepEqual(await listDir(dir), before, "nothing created or deleted inside");
  assert.deepEqual(await listDir(join(dir, "users")), []);
}

Deno.test("a runtime dir that is a symbolic link is refused, not followed", async () => {
  await using sandbox = await makeSandbox();
  const target = await plantedFolder(sandbox, "elsewhere");
  await Deno.chmod(target, 0o700);
  const link = join(sandbox.home, "rt-link");
  await Deno.symlink(target, link);
  await useRuntimeDir(sandbox, link);
  await assertRefused(sandbox, target, link, /it is a symbolic link/);
});

Deno.test("a runtime dir open to other users is refused, not chmod'ed", async () => {
  await using sandbox = await makeSandbox();
  const dir = await plantedFolder(sandbox, "open-rt");
  await Deno.chmod(dir, 0o755);
  await useRuntimeDir(sandbox, dir);
  await assertRefused(sandbox, dir, dir, /its mode is 0755/);
  assert.equal((await Deno.stat(dir)).mode! & 0o777, 0o755);
});

Deno.test({
  name: "a runtime dir owned by another user is refused",
  ignore: Deno.uid() !== 0,
  fn: async () => {
    await using sandbox = await makeSandbox();
    const dir = await plantedFolder(sandbox, "foreign-rt");
    await Deno.chmod(dir, 0o700);
    await Deno.chown(dir, 65534, 65534);
    await useRuntimeDir(sandbox, dir);
    await assertRefused(sandbox, dir, dir, /it is owned by uid 65534, not by uid 0/);
  },
});
