/**
 * Losing as little as possible: a 10 s source outage costs about 10 s of recording, and a disk
 * that fills up stops the capture cleanly with what was captured kept.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  collect,
  defaultConfig,
  ffprobe,
  listDir,
  makeSandbox,
  runCli,
  spawnCli,
} from "../testing/cli.ts";
import { startHlsServer } from "../testing/hls_server.ts";
import { sleep, waitForState } from "../testing/live.ts";
import { contentSeconds } from "../testing/media.ts";
import { canMountTmpfs, mountTmpfs } from "../testing/tmpfs.ts";

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

Deno.test({
  name: "a filling disk stops the capture cleanly, keeps what was captured and says why (exit 7)",
  ignore: !(await canMountTmpfs()),
  fn: async () => {
    const server = await startHlsServer({ endGraceMs: 1200 });
    await using sandbox = await makeSandbox();
    await using _disk = await mountTmpfs(sandbox.recordDir, "3m");
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
    }
  },
});

Deno.test({
  name:
    "a real ENOSPC mid-capture stops the capture, keeps every part and exits 7; recover finishes it",
  ignore: !(await canMountTmpfs()),
  fn: async () => {
    const server = await startHlsServer({ endGraceMs: 1200 });
    await using sandbox = await makeSandbox();
    await using disk = await mountTmpfs(sandbox.recordDir, "1m");
    try {
      // No disk_free_min margin: streamlink itself runs into "No space left on device".
      await sandbox.writeConfig(
        defaultConfig(sandbox, server.urlTemplate).replace(
          "disk_free_min_bytes = 1048576",
          "disk_free_min_bytes = 0",
        ),
      );
      server.goLive("disk_full");
      const result = await collect(spawnCli(sandbox, ["record", "disk_full"]));
      assert.equal(result.code, 7, result.stderr);
      assert.doesNotMatch(result.stderr, /Unexpected error/);
      assert.match(
        result.stderr,
        /Stopped recording "disk_full": no space left on device .*; not finalized for lack of space: \d+ part\(s\) kept in ".*temp", free some space and run "twitchtool recover"/,
      );
      const parts = (await listDir(sandbox.tempDir)).filter((name) => name.endsWith(".ts"));
      assert.ok(parts.length >= 1, `parts: ${parts}`);
      let onDisk = 0;
      for (const part of parts) onDisk += await contentSeconds(join(sandbox.tempDir, part));
      assert.ok(onDisk >= 5, `parts hold ${onDisk} s`);

      await disk.resize("16m");
      const recovered = await runCli(sandbox, ["recover"]);
      assert.equal(recovered.code, 0, recovered.stderr);
      assert.match(recovered.stdout, /Recovered disk_full/);
      const finals = (await listDir(sandbox.recordDir)).filter((name) => name.endsWith(".mp4"));
      assert.equal(finals.length, 1);
      const kept = await contentSeconds(join(sandbox.recordDir, finals[0]!));
      assert.ok(Math.abs(kept - onDisk) < 1.5, `final ${kept} s, parts held ${onDisk} s`);
      assert.deepEqual(await listDir(sandbox.tempDir), []);
    } finally {
      await server.close();
    }
  },
});
