/**
 * Losing as little as possible: a 10 s source outage costs about 10 s of recording, and a disk
 * that fills up stops the capture cleanly with what was captured kept.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { collect, defaultConfig, ffprobe, listDir, makeSandbox, spawnCli } from "./support/cli.ts";
import { startHlsServer } from "./support/hls_server.ts";
import { sleep, waitForState } from "./support/live.ts";
import { contentSeconds } from "./support/media.ts";

Deno.test("a 10 s outage costs at most outage + 3 s of the broadcast", async () => {
  const server = await startHlsServer({ endGraceMs: 1200 });
  await using sandbox = await makeSandbox({
    urlTemplate: server.urlTemplate,
    retryDelay: 60,
    retryWindow: 4,
  });
  try {
    const user = "gap_check";
    server.goLive(user);
    const recorder = spawnCli(sandbox, ["record", user]);
    await waitForState(sandbox, user, "capturing");
    const liveStart = Date.now();
    await sleep(8000);
    server.goOffline(user);
    const outageStart = Date.now();
    await sleep(10_000);
    server.goLive(user);
    const outage = (Date.now() - outageStart) / 1000;
    await sleep(8000);
    server.end(user);
    const broadcast = (Date.now() - liveStart) / 1000;
    const result = await collect(recorder);
    assert.equal(result.code, 0, result.stderr);
    const finals = (await listDir(sandbox.recordDir)).filter((name) => name.endsWith(".mp4"));
    assert.equal(finals.length, 1);
    const duration = await contentSeconds(join(sandbox.recordDir, finals[0]!));
    const missing = broadcast - duration;
    console.log(
      `broadcast ${broadcast.toFixed(1)} s, outage ${outage.toFixed(1)} s, recorded ${
        duration.toFixed(1)
      } s, missing ${missing.toFixed(1)} s`,
    );
    assert.ok(
      missing <= outage + 3,
      `missing ${missing.toFixed(1)} s for a ${outage.toFixed(1)} s outage`,
    );
  } finally {
    await server.close();
  }
});

/** Whether this machine lets us mount a tmpfs (root with CAP_SYS_ADMIN). */
async function canMountTmpfs(): Promise<boolean> {
  const dir = await Deno.makeTempDir();
  try {
    const mount = await new Deno.Command("mount", {
      args: ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir],
      stdout: "null",
      stderr: "null",
    }).output().catch(() => ({ code: 1 }));
    if (mount.code !== 0) return false;
    await new Deno.Command("umount", { args: [dir] }).output();
    return true;
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

Deno.test({
  name: "a filling disk stops the capture cleanly, keeps what was captured and says why (exit 7)",
  ignore: !(await canMountTmpfs()),
  fn: async () => {
    const server = await startHlsServer({ endGraceMs: 1200 });
    await using sandbox = await makeSandbox();
    await Deno.mkdir(sandbox.recordDir, { recursive: true });
    const mounted = await new Deno.Command("mount", {
      args: ["-t", "tmpfs", "-o", "size=3m", "tmpfs", sandbox.recordDir],
    }).output();
    assert.equal(mounted.code, 0);
    try {
      await sandbox.writeConfig(
        defaultConfig(sandbox, server.urlTemplate).replace(
          "disk_free_min_bytes = 1048576",
          "disk_free_min_bytes = 2097152",
        ),
      );
      server.goLive("disk_filler");
      const recorder = spawnCli(sandbox, ["record", "disk_filler"]);
      const result = await collect(recorder);
      assert.equal(result.code, 7, result.stderr);
      assert.match(
        result.stderr,
        /Stopped recording "disk_filler" early: only .* free on ".*", below disk_free_min 2\.0 MiB; kept .*\.mp4/,
      );
      const finals = (await listDir(sandbox.recordDir)).filter((name) => name.endsWith(".mp4"));
      assert.equal(finals.length, 1);
      const { duration } = await ffprobe(join(sandbox.recordDir, finals[0]!));
      assert.ok(duration >= 5, `kept ${duration} s`);
      assert.deepEqual(await listDir(sandbox.tempDir), []);
    } finally {
      await server.close();
      await new Deno.Command("umount", { args: ["-l", sandbox.recordDir] }).output();
    }
  },
});
