import assert from "node:assert/strict";
import { join } from "node:path";
import { FileLock } from "./file_lock.ts";
import { findAbandonedArgsFiles, privateStreamlinkArgs } from "./streamlink_args_file.ts";

Deno.test("privateStreamlinkArgs() puts secret options in a 0600 file, removed on dispose", async () => {
  const root = await Deno.makeTempDir();
  try {
    const runtimeDir = join(root, "run");
    const abandoned = join(runtimeDir, "streamlink", "1-dead.args");
    await Deno.mkdir(join(runtimeDir, "streamlink"), { recursive: true, mode: 0o700 });
    await Deno.chmod(runtimeDir, 0o700);
    await Deno.writeTextFile(abandoned, "twitch-api-header=Authorization=OAuth old\n");
    await Deno.utime(abandoned, new Date(Date.now() - 120_000), new Date(Date.now() - 120_000));
    let path = "";
    {
      await using extra = await privateStreamlinkArgs(runtimeDir, [
        "--twitch-low-latency",
        "--twitch-api-header",
        "Authorization=OAuth secret1234",
      ]);
      assert.equal(extra.args.length, 2);
      assert.equal(extra.args[0], "--twitch-low-latency");
      path = extra.args[1]!.slice(1);
      assert.ok(extra.args[1]!.startsWith("@"));
      assert.equal(
        await Deno.readTextFile(path),
        "twitch-api-header=Authorization=OAuth secret1234\n",
      );
      assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
      assert.deepEqual(extra.secrets, ["OAuth secret1234", "secret1234"]);
      await assert.rejects(Deno.stat(abandoned), Deno.errors.NotFound, "abandoned file swept");
    }
    await assert.rejects(Deno.stat(path), Deno.errors.NotFound);

    await using plain = await privateStreamlinkArgs(runtimeDir, ["--twitch-low-latency"]);
    assert.deepEqual(plain.args, ["--twitch-low-latency"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("privateStreamlinkArgs() sweeps a dead process's fresh args file at once, even without secrets of its own", async () => {
  const root = await Deno.makeTempDir();
  try {
    const runtimeDir = join(root, "run");
    const dir = join(runtimeDir, "streamlink");
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    await Deno.chmod(runtimeDir, 0o700);
    const dead = join(dir, "1-dead.args");
    await Deno.writeTextFile(dead, "twitch-api-header=Authorization=OAuth old\n");
    const live = join(dir, "2-live.args");
    await Deno.writeTextFile(live, "twitch-api-header=Authorization=OAuth live\n");
    const draft = join(dir, "3-new.args.new");
    await Deno.writeTextFile(draft, "");
    using _held = await FileLock.tryAcquire(live);
    assert.deepEqual(await findAbandonedArgsFiles(runtimeDir), [dead]);
    await using _plain = await privateStreamlinkArgs(runtimeDir, ["--twitch-low-latency"]);
    assert.deepEqual(
      [...Deno.readDirSync(dir)].map((entry) => entry.name).sort(),
      ["2-live.args", "3-new.args.new"],
      "the dead file is gone; a locked file and a young draft stay",
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
