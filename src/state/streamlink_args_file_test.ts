import assert from "node:assert/strict";
import { join } from "node:path";
import { privateStreamlinkArgs } from "./streamlink_args_file.ts";

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
