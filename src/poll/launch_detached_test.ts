import assert from "node:assert/strict";
import { join } from "node:path";
import { launchDetached } from "./launch_detached.ts";

Deno.test("launchDetached() starts the child in its own session with output appended to the log", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const log = join(dir, "logs", "alpha.log");
    await Deno.mkdir(join(dir, "logs"));
    await Deno.writeTextFile(log, "earlier run\n");
    const child = await launchDetached(
      "sh",
      [
        "-c",
        'echo "session $(ps -o sid= -p $$) pid $$"; echo oops >&2; read line; echo "stdin [$line]"',
      ],
      log,
    );
    // The child is unref()ed: keep this test's event loop busy while it runs.
    const keepAlive = setInterval(() => {}, 50);
    try {
      assert.equal(await child.exited, 0);
    } finally {
      clearInterval(keepAlive);
    }
    const lines = (await Deno.readTextFile(log)).trim().split("\n");
    assert.equal(lines[0], "earlier run");
    assert.match(lines[1] ?? "", /^--- \S+ twitchtool poller: sh -c /);
    const [, sid, pid] = /^session\s+(\d+) pid (\d+)$/.exec(lines[2] ?? "") ?? [];
    assert.equal(Number(pid), child.pid);
    assert.equal(sid, pid, "the child leads its own session");
    assert.deepEqual(lines.slice(3), ["oops", "stdin []"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("launchDetached() fails at once for a program that does not exist", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(launchDetached("/nonexistent/recorder", [], join(dir, "x.log")));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
