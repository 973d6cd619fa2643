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
  type Sandbox,
  spawnCli,
  statusJson,
  waitFor,
} from "./support/cli.ts";
import { startHlsServer } from "./support/hls_server.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function waitState(sandbox: Sandbox, user: string, state: string) {
  return waitFor(`${user} ${state}`, async () => {
    const status = await statusJson(sandbox);
    return status.recordings.find((r) => r.user === user && r.state === state);
  }, 60_000);
}

Deno.test("a 10 s outage costs at most outage + 3 s of the broadcast", async () => {
  const server = await startHlsServer({ endGraceMs: 1200 });
  await using sandbox = await makeSandbox({ urlTemplate: server.urlTemplate });
  await sandbox.writeConfig(
    defaultConfig(sandbox, server.urlTemplate).replace("retry_delay = 1", "retry_delay = 60")
      .replace("retry_window = 3", "retry_window = 4"),
  );
  try {
    const user = "gap_check";
    server.goLive(user);
    const recorder = spawnCli(sandbox, ["record", user]);
    await waitState(sandbox, user, "capturing");
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

/**
 * Seconds of video actually in a file (frames / frame rate). Not the container duration: when
 * streamlink rides through an outage in one part, the file's timeline keeps the hole.
 */
async function contentSeconds(path: string): Promise<number> {
  const output = await new Deno.Command("ffprobe", {
    args: [
      "-v",
      "error",
      "-select_streams",
      "v:0",
      "-count_packets",
      "-show_entries",
      "stream=nb_read_packets,avg_frame_rate",
      "-of",
      "json",
      path,
    ],
    stdout: "piped",
  }).output();
  const stream = JSON.parse(new TextDecoder().decode(output.stdout)).streams[0];
  const [num, den] = String(stream.avg_frame_rate).split("/").map(Number);
  return Number(stream.nb_read_packets) / (num! / (den || 1));
}

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
