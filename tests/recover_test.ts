/**
 * Crash recovery: kill -9 at every moment of a recording, then `twitchtool recover`: the final
 * file holds every complete second that was on disk, exactly one job exists, no part is left.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { isSessionCaptureAlive } from "../src/state/capture_lock.ts";
import {
  collect,
  defaultConfig,
  ffprobe,
  listDir,
  makeSandbox,
  runCli,
  type Sandbox,
  spawnCli,
} from "../testing/cli.ts";
import { eventually } from "../testing/eventually.ts";
import { sleep, waitForState, withHlsServer } from "../testing/live.ts";
import { ensureSegments } from "../testing/segments.ts";

/** Total seconds of media in the session's parts, as ffprobe reads them. */
async function partsSeconds(sandbox: Sandbox): Promise<number> {
  let total = 0;
  for (const name of await listDir(sandbox.tempDir)) {
    if (/_part\d+\.ts$/.test(name)) total += (await ffprobe(join(sandbox.tempDir, name))).duration;
  }
  return total;
}

/** Kills streamlink processes writing into this sandbox (a kill -9 of the whole recorder). */
async function killStreamlinks(sandbox: Sandbox): Promise<void> {
  await new Deno.Command("pkill", { args: ["-KILL", "-f", `streamlink.*${sandbox.home}`] })
    .output();
}

/** After recover: one final file of the expected length, one job for it, an empty temp dir. */
async function assertRecovered(sandbox: Sandbox, expectedSeconds: number): Promise<void> {
  const finals = (await listDir(sandbox.recordDir)).filter((name) => name.endsWith(".mp4"));
  assert.equal(finals.length, 1, `record dir: ${await listDir(sandbox.recordDir)}`);
  const final = join(sandbox.recordDir, finals[0]!);
  const { duration } = await ffprobe(final);
  assert.ok(
    Math.abs(duration - expectedSeconds) < 1.5,
    `final ${duration} s, parts on disk ${expectedSeconds} s`,
  );
  const jobs = (await listDir(sandbox.jobsDir)).filter((name) => name.endsWith(".json"));
  assert.equal(jobs.length, 1, `jobs: ${jobs}`);
  const job = JSON.parse(await Deno.readTextFile(join(sandbox.jobsDir, jobs[0]!)));
  assert.equal(job.input, final);
  assert.deepEqual(await listDir(sandbox.tempDir), [], "no part, partial or manifest left");
}

Deno.test("recover finishes a recording killed with -9 while capturing", async () => {
  await withHlsServer(async (server) => {
    await using sandbox = await makeSandbox({ urlTemplate: server.urlTemplate });
    server.goLive("kill_capture");
    const recorder = spawnCli(sandbox, ["record", "kill_capture"]);
    await waitForState(sandbox, "kill_capture", "capturing");
    await sleep(5000);
    recorder.kill("SIGKILL");
    await killStreamlinks(sandbox);
    await collect(recorder);
    const onDisk = await partsSeconds(sandbox);
    assert.ok(onDisk >= 3, `parts hold ${onDisk} s`);
    // A kill during the ffmpeg pass itself leaves a half-written output behind.
    const base = (await listDir(sandbox.tempDir)).find((n) => n.endsWith(".session.json"))!
      .replace(".session.json", "");
    await Deno.writeTextFile(join(sandbox.tempDir, `${base}.mp4.partial`), "half an mp4");

    const dry = await runCli(sandbox, ["recover", "--dry-run"]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /Would recover kill_capture_\S+ \(1 part\(s\), phase capturing\)/);
    assert.equal((await listDir(sandbox.recordDir)).filter((n) => n.endsWith(".mp4")).length, 0);

    const result = await runCli(sandbox, ["recover"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Recovered kill_capture: .*\.mp4/);
    await assertRecovered(sandbox, onDisk);
    const again = await runCli(sandbox, ["recover"]);
    assert.match(again.stdout, /Nothing to recover/);
  });
});

Deno.test("recover finishes a recording killed with -9 between parts", async () => {
  await withHlsServer(async (server) => {
    await using sandbox = await makeSandbox({
      urlTemplate: server.urlTemplate,
      retryWindow: 60,
    });
    server.goLive("kill_between");
    const recorder = spawnCli(sandbox, ["record", "kill_between"]);
    await waitForState(sandbox, "kill_between", "capturing");
    await sleep(4000);
    server.goOffline("kill_between");
    await waitForState(sandbox, "kill_between", "waiting");
    recorder.kill("SIGKILL");
    await collect(recorder);
    // A reconnect attempt's streamlink may outlive the recorder for a moment: recover leaves
    // the session alone until it has exited.
    const base = (await listDir(sandbox.tempDir)).find((n) => n.endsWith(".session.json"))!
      .replace(".session.json", "");
    await eventually(
      "the last reconnect attempt to exit",
      async () => !(await isSessionCaptureAlive(sandbox.runtimeDir, base)),
    );
    const onDisk = await partsSeconds(sandbox);
    const result = await runCli(sandbox, ["recover"]);
    assert.equal(result.code, 0, result.stderr);
    await assertRecovered(sandbox, onDisk);
  });
});

for (const step of ["staged", "moving", "moved", "delivered", "enqueued"]) {
  Deno.test(`recover completes a recording killed with -9 at finalize step "${step}"`, async () => {
    await withHlsServer(async (server) => {
      await using sandbox = await makeSandbox({ urlTemplate: server.urlTemplate });
      const user = `crash_${step}`;
      server.goLive(user);
      const recorder = spawnCli(sandbox, ["record", user], { env: { TWITCHTOOL_FAILPOINT: step } });
      await waitForState(sandbox, user, "capturing");
      await sleep(4000);
      server.end(user);
      const died = await collect(recorder);
      assert.notEqual(died.code, 0, "the failpoint killed the recorder");
      assert.match(died.stderr, new RegExp(`Failpoint "${step}"`));
      const manifests = (await listDir(sandbox.tempDir)).filter((n) => n.endsWith(".session.json"));
      assert.equal(manifests.length, 1, "the session's manifest survived the crash");
      const manifest = JSON.parse(await Deno.readTextFile(join(sandbox.tempDir, manifests[0]!)));
      const expected = manifest.duration ?? await partsSeconds(sandbox);

      const result = await runCli(sandbox, ["recover"]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, new RegExp(`Recovered ${user}`));
      await assertRecovered(sandbox, expected);
    });
  });
}

Deno.test("recover leaves a session alone while its recorder is alive", async () => {
  await withHlsServer(async (server) => {
    await using sandbox = await makeSandbox({ urlTemplate: server.urlTemplate });
    server.goLive("alive_one");
    const recorder = spawnCli(sandbox, ["record", "alive_one"]);
    try {
      await waitForState(sandbox, "alive_one", "capturing");
      // The session's own files first (the live remuxer starts its file once the part holds
      // enough to probe): only what recover might do may change the folder below.
      await eventually(
        "the live file",
        async () => (await listDir(sandbox.tempDir)).some((name) => name.endsWith(".live.mp4")),
      );
      const before = await listDir(sandbox.tempDir);
      const result = await runCli(sandbox, ["recover"]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /Skipped alive_one_\S+: its recorder is still running/);
      assert.deepEqual(await listDir(sandbox.tempDir), before);
    } finally {
      recorder.kill("SIGINT");
      assert.equal((await collect(recorder)).code, 0);
    }
  });
});

Deno.test("recover merges parts the original tool left behind, trimming a cut-off last packet", async () => {
  const segments = await ensureSegments();
  await using sandbox = await makeSandbox({ urlTemplate: "hls://http://127.0.0.1:9/{user}" });
  await Deno.mkdir(sandbox.tempDir, { recursive: true });
  const base = "olduser_2026-01-02_03-04-05";
  for (const [index, range] of [[1, [0, 3]], [2, [10, 14]]] as const) {
    const bytes = (await Promise.all(
      segments.files.slice(range[0], range[1]).map((f) => Deno.readFile(f)),
    )).flatMap((chunk) => [...chunk]);
    const cut = index === 2 ? bytes.slice(0, bytes.length - 100) : bytes;
    await Deno.writeFile(join(sandbox.tempDir, `${base}_part0${index}.ts`), new Uint8Array(cut));
  }
  const onDisk = await partsSeconds(sandbox);
  const result = await runCli(sandbox, ["recover"]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(
    result.stdout,
    /Recovered olduser: .*olduser_2026-01-02_03-04-05\.mp4 \(.* from 2 part\(s\)\)/,
  );
  await assertRecovered(sandbox, onDisk);
});

Deno.test("poller run recovers abandoned sessions when it starts", async () => {
  const segments = await ensureSegments();
  await using sandbox = await makeSandbox({ urlTemplate: "hls://http://127.0.0.1:9/{user}" });
  await Deno.mkdir(sandbox.tempDir, { recursive: true });
  const part = join(sandbox.tempDir, "lostuser_2026-03-04_05-06-07_part01.ts");
  const bytes = (await Promise.all(segments.files.slice(0, 4).map((f) => Deno.readFile(f))))
    .flatMap((chunk) => [...chunk]);
  await Deno.writeFile(part, new Uint8Array(bytes));
  await Deno.writeTextFile(join(sandbox.home, "users.txt"), "# nobody to poll\n");
  const poller = spawnCli(sandbox, [
    "poller",
    "run",
    "--users-file",
    join(sandbox.home, "users.txt"),
    "--interval",
    "60",
  ]);
  try {
    await eventually("the recovered recording", async () => {
      const names = await listDir(sandbox.recordDir);
      return names.includes("lostuser_2026-03-04_05-06-07.mp4") &&
        (await listDir(sandbox.jobsDir)).length === 1;
    }, 60_000);
  } finally {
    poller.kill("SIGTERM");
    await collect(poller);
  }
  await assertRecovered(sandbox, 4);
});

Deno.test("recover never touches a part a killed recorder's streamlink is still writing", async () => {
  await withHlsServer(async (server) => {
    await using sandbox = await makeSandbox({ urlTemplate: server.urlTemplate });
    // A long read timeout: streamlink outlives its recorder through a short outage.
    await sandbox.writeConfig(
      defaultConfig(sandbox, server.urlTemplate).replace(
        '"--stream-timeout", "3"',
        '"--stream-timeout", "20"',
      ),
    );
    const user = "orphan_writer";
    server.goLive(user);
    const recorder = spawnCli(sandbox, ["record", user]);
    await waitForState(sandbox, user, "capturing");
    await sleep(4000);
    server.goOffline(user);
    recorder.kill("SIGKILL");
    await collect(recorder);
    const base = (await listDir(sandbox.tempDir)).find((n) => n.endsWith(".session.json"))!
      .replace(".session.json", "");
    assert.ok(
      await isSessionCaptureAlive(sandbox.runtimeDir, base),
      "streamlink outlived its recorder",
    );
    await sleep(3000);
    const stalled = await partsSeconds(sandbox);

    // The part has not grown for seconds, but its streamlink lives: recover must leave it alone.
    const early = await runCli(sandbox, ["recover"]);
    assert.equal(early.code, 0, early.stderr);
    assert.match(
      early.stdout,
      new RegExp(`Skipped ${base}: its streamlink is still writing a part`),
    );
    assert.equal((await listDir(sandbox.recordDir)).filter((n) => n.endsWith(".mp4")).length, 0);

    // The source comes back: the orphaned streamlink resumes writing into the same part.
    server.goLive(user);
    await eventually(
      "the orphaned part to grow",
      async () => (await partsSeconds(sandbox)) > stalled + 3,
    );
    server.goOffline(user);
    await eventually(
      "the orphaned streamlink to exit",
      async () => !(await isSessionCaptureAlive(sandbox.runtimeDir, base)),
      300_000,
    );
    const onDisk = await partsSeconds(sandbox);
    const result = await runCli(sandbox, ["recover"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`Recovered ${user}`));
    await assertRecovered(sandbox, onDisk);
    assert.deepEqual(
      await listDir(join(sandbox.runtimeDir, "capture")),
      [],
      "capture lock removed",
    );
  });
});

Deno.test("recover moves unreadable leftover parts to temp/unreadable/ once, then has nothing to do", async () => {
  const segments = await ensureSegments();
  await using sandbox = await makeSandbox({ urlTemplate: "hls://http://127.0.0.1:9/{user}" });
  await Deno.mkdir(sandbox.tempDir, { recursive: true });
  const good = "olduser_2026-01-02_03-04-05";
  const bytes = (await Promise.all(segments.files.slice(0, 4).map((f) => Deno.readFile(f))))
    .flatMap((chunk) => [...chunk]);
  await Deno.writeFile(join(sandbox.tempDir, `${good}_part01.ts`), new Uint8Array(bytes));
  await Deno.writeFile(join(sandbox.tempDir, `${good}_part02.ts`), new Uint8Array());
  // A session left with nothing readable: a zero-byte part and one of garbage.
  const ghost = "ghostuser_2026-01-02_05-06-07";
  await Deno.writeFile(join(sandbox.tempDir, `${ghost}_part01.ts`), new Uint8Array());
  await Deno.writeTextFile(join(sandbox.tempDir, `${ghost}_part02.ts`), "not a stream ".repeat(99));

  const first = await runCli(sandbox, ["recover"]);
  assert.equal(first.code, 0, first.stdout + first.stderr);
  assert.match(
    first.stdout,
    /Recovered olduser: .*olduser_2026-01-02_03-04-05\.mp4 \(.* from 1 part\(s\)\)/,
  );
  assert.match(
    first.stdout,
    /Moved unreadable part .*olduser_2026-01-02_03-04-05_part02\.ts to .*unreadable.*: the part is empty \(0 bytes\)/,
  );
  assert.match(
    first.stdout,
    /Moved unreadable part .*ghostuser_2026-01-02_05-06-07_part02\.ts to .*: ffprobe finds no audio or video stream/,
  );
  assert.match(
    first.stdout,
    /Nothing to recover in ghostuser_2026-01-02_05-06-07: every part was unreadable/,
  );
  assert.deepEqual(await listDir(sandbox.tempDir), ["unreadable"]);
  const quarantine = join(sandbox.tempDir, "unreadable");
  assert.deepEqual(await listDir(quarantine), [
    `${ghost}_part01.ts`,
    `${ghost}_part01.ts.reason.json`,
    `${ghost}_part02.ts`,
    `${ghost}_part02.ts.reason.json`,
    `${good}_part02.ts`,
    `${good}_part02.ts.reason.json`,
  ]);
  const reason = JSON.parse(
    await Deno.readTextFile(join(quarantine, `${ghost}_part02.ts.reason.json`)),
  );
  assert.equal(reason.part, join(sandbox.tempDir, `${ghost}_part02.ts`));
  assert.equal(reason.session, ghost);
  assert.equal(
    (await Deno.stat(join(quarantine, `${ghost}_part02.ts`))).size,
    13 * 99,
    "kept as is",
  );
  const { duration } = await ffprobe(join(sandbox.recordDir, `${good}.mp4`));
  assert.ok(Math.abs(duration - 4) < 1.5, `final ${duration} s`);

  const again = await runCli(sandbox, ["recover"]);
  assert.equal(again.code, 0, again.stdout + again.stderr);
  assert.match(again.stdout, /^Nothing to recover\n$/);
});
