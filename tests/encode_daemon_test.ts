/**
 * End-to-end tests of `encode-daemon` with real ffmpeg, run as the encoder role runs it
 * (`deno task encoder`'s permission flags) in an isolated HOME.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { roleFlags } from "../src/permissions.ts";
import { SlotPool } from "../src/state/slot_pool.ts";
import {
  collect,
  ffprobe,
  listDir,
  makeSandbox,
  runCli,
  type Sandbox,
  spawnCli,
} from "../testing/cli.ts";
import { eventually } from "../testing/eventually.ts";
import {
  encoderStatus,
  makeClip,
  parseLogs,
  partials,
  writeEncoderConfig,
  writeJob,
} from "../testing/encode_clips.ts";
import { isAlive, procState } from "../testing/processes.ts";
import { canMountTmpfs, mountTmpfs } from "../testing/tmpfs.ts";

const ENCODER = { flags: roleFlags("encoder") };

/** Asserts an encode: HEVC at 480 lines with an even width, AAC audio, the input's duration. */
async function assertEncoded(path: string, seconds: number) {
  const info = await ffprobe(path);
  const video = info.streams.find((s) => s.codec_type === "video");
  const audio = info.streams.find((s) => s.codec_type === "audio");
  assert.equal(video?.codec_name, "hevc", path);
  assert.equal(video?.height, 480, path);
  assert.equal((video?.width ?? 1) % 2, 0, `odd width ${video?.width}`);
  assert.equal(audio?.codec_name, "aac", path);
  assert.ok(Math.abs(info.duration - seconds) < 0.5, `duration ${info.duration} != ${seconds}`);
}

/** A job as `record` writes it, for a clip in the sandbox's recordings folder. */
async function clipJob(sb: Sandbox, name: string, seconds: number, created_at: string) {
  await Deno.mkdir(sb.recordDir, { recursive: true });
  const input = await makeClip(join(sb.recordDir, `${name}.mp4`), { seconds });
  const output = join(sb.recordDir, `${name}_compressed.mp4`);
  return { input, output, created_at, delete_input_on_success: false };
}

/** Holds recording slot 1 in this process, as a recorder would. */
async function holdSlot(sb: Sandbox) {
  const slot = await new SlotPool(sb.runtimeDir, 6).tryAcquire({
    pid: Deno.pid,
    username: "tester",
    started_at: new Date().toISOString(),
  });
  assert.ok(slot);
  return slot;
}

Deno.test("encode-daemon run --exit-when-empty encodes jobs oldest first to 480p HEVC with audio", async () => {
  await using sb = await makeSandbox();
  await writeEncoderConfig(sb);
  const newest = await clipJob(sb, "newest", 2, "2024-05-01T12:00:00Z");
  const oldest = {
    ...(await clipJob(sb, "oldest", 2, "2024-05-01T08:00:00Z")),
    delete_input_on_success: true,
  };
  const legacy = await clipJob(sb, "legacy", 3, "");
  await writeJob(sb, "a-newest.json", newest);
  await writeJob(sb, "b-oldest.json", oldest);
  // The original tool's keys, without created_at: its file time (now) makes it the newest.
  await writeJob(sb, "c-legacy.json", { in: legacy.input, out: legacy.output });

  const result = await runCli(
    sb,
    ["--json-logs", "encode-daemon", "run", "--exit-when-empty"],
    ENCODER,
  );
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /3 encoded, 0 failed/);
  const order = parseLogs(result.stderr)
    .filter((record) => record.message.startsWith("Encoding "))
    .map((record) => record.properties.input);
  assert.deepEqual(order, [oldest.input, newest.input, legacy.input]);

  await assertEncoded(oldest.output, 2);
  await assertEncoded(newest.output, 2);
  await assertEncoded(legacy.output, 3);
  const left = await listDir(sb.recordDir);
  assert.ok(!left.includes("oldest.mp4"), "delete_input_on_success removes the input");
  assert.ok(left.includes("newest.mp4") && left.includes("legacy.mp4"), "other inputs stay");
  assert.deepEqual(await partials(sb.recordDir), []);
  assert.deepEqual(await listDir(sb.jobsDir), []);
  const status = await encoderStatus(sb);
  assert.equal(status?.state, "idle");
  assert.equal(status?.current_job, null);
});

Deno.test("encode-daemon moves corrupt jobs aside and fails a missing input without blocking", async () => {
  await using sb = await makeSandbox();
  await writeEncoderConfig(sb);
  const corrupt = await writeJob(sb, "0-corrupt.json", '{"input": "/x", "out');
  const old = new Date(Date.now() - 60_000);
  await Deno.utime(corrupt, old, old);
  const missing = join(sb.recordDir, "gone.mp4");
  await writeJob(sb, "1-missing.json", {
    input: missing,
    output: join(sb.recordDir, "gone_compressed.mp4"),
    created_at: "2024-01-01T00:00:00Z",
    delete_input_on_success: false,
  });
  const good = await clipJob(sb, "good", 1, "2024-01-02T00:00:00Z");
  await writeJob(sb, "2-good.json", good);

  const result = await runCli(sb, ["encode-daemon", "run", "--exit-when-empty"], ENCODER);
  assert.equal(result.code, 1, "a failed job makes --exit-when-empty exit 1");
  assert.match(result.stdout, /1 encoded, 1 failed/);
  await assertEncoded(good.output, 1);
  assert.deepEqual(await listDir(sb.jobsDir), [
    "0-corrupt.invalid.json",
    "1-missing.error.json",
    "1-missing.failed.json",
  ]);
  const sidecar = JSON.parse(await Deno.readTextFile(join(sb.jobsDir, "1-missing.error.json")));
  assert.equal(sidecar.error, `Input "${missing}" does not exist`);

  const status = await runCli(sb, ["encode-daemon", "status", "--json"]);
  assert.equal(status.code, 0, status.stderr);
  const parsed = JSON.parse(status.stdout);
  assert.equal(parsed.running, false);
  assert.equal(parsed.queue_length, 0);
  assert.deepEqual(parsed.failed.map((f: { error: string }) => f.error), [sidecar.error]);
});

Deno.test("encode-daemon stops ffmpeg while a recording captures and resumes it after", async () => {
  await using sb = await makeSandbox();
  // A slow preset so the encode is still running whenever the test looks.
  await writeEncoderConfig(sb, "medium");
  const job = await clipJob(sb, "long", 30, "2024-01-01T00:00:00Z");
  const slot = await holdSlot(sb);
  await slot.setState("capturing");
  await writeJob(sb, "long.json", job);
  const daemon = spawnCli(sb, ["encode-daemon", "run"], ENCODER);
  let ffmpeg: number | undefined;
  try {
    const paused = await eventually("a paused encode", async () => {
      const status = await encoderStatus(sb);
      return status?.paused && status.current_job?.ffmpeg_pid ? status : undefined;
    });
    const pid = paused.current_job!.ffmpeg_pid!;
    ffmpeg = pid;
    assert.equal(paused.state, "paused");
    await eventually("ffmpeg in state T", async () => (await procState(pid)) === "T");

    const shown = await runCli(sb, ["encode-daemon", "status", "--json"]);
    const status = JSON.parse(shown.stdout);
    assert.equal(status.running, true);
    assert.equal(status.state, "paused");
    assert.equal(status.current_job.input, job.input);

    await slot.setState("waiting");
    await eventually("ffmpeg resumed while the recorder only waits", async () => {
      const state = await procState(pid);
      return state === "R" || state === "S";
    });
    await eventually("status not paused", async () => (await encoderStatus(sb))?.paused === false);

    await slot.setState("capturing");
    await eventually("ffmpeg stopped again", async () => (await procState(pid)) === "T");
    await slot.release();
    await eventually("ffmpeg resumed after the slot is released", async () => {
      const state = await procState(pid);
      return state === "R" || state === "S";
    });

    const again = await holdSlot(sb);
    await again.setState("capturing");
    await eventually("ffmpeg stopped before shutdown", async () => (await procState(pid)) === "T");
    const stop = await runCli(sb, ["encode-daemon", "stop"]);
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stdout, /Stopped the encoder/);
    await again.release();
    const exit = await daemon.status;
    assert.equal(exit.code, 0);
    await eventually("ffmpeg gone", async () => !(await isAlive(pid)));
    assert.deepEqual(await listDir(sb.jobsDir), ["long.json"], "the job stays queued");
    assert.deepEqual(await listDir(join(sb.queueDir, "running")), []);
    assert.ok(!(await listDir(sb.recordDir)).includes("long_compressed.mp4"));
    assert.deepEqual(await partials(sb.recordDir), []);
  } finally {
    try {
      daemon.kill("SIGKILL");
    } catch {
      // Already exited.
    }
    await collect(daemon);
    if (ffmpeg !== undefined && await isAlive(ffmpeg)) Deno.kill(ffmpeg, "SIGKILL");
  }
});

Deno.test("encode-daemon killed with SIGKILL mid-encode: the restart completes the job once", async () => {
  await using sb = await makeSandbox();
  await writeEncoderConfig(sb, "medium");
  const job = await clipJob(sb, "crash", 12, "2024-01-01T00:00:00Z");
  await writeJob(sb, "crash.json", job);
  const daemon = spawnCli(sb, ["encode-daemon", "run"], ENCODER);
  let orphan = 0;
  try {
    const status = await eventually("encoding progress", async () => {
      const current = (await encoderStatus(sb))?.current_job;
      return current?.percent && current.ffmpeg_pid ? current : undefined;
    });
    orphan = status.ffmpeg_pid!;
    assert.ok((await partials(sb.recordDir)).length > 0, "a partial output exists mid-encode");
    daemon.kill("SIGKILL");
    await collect(daemon);
  } catch (error) {
    try {
      daemon.kill("SIGKILL");
    } catch {
      // Already exited.
    }
    await collect(daemon);
    throw error;
  }

  try {
    await checkRestart(sb, job, orphan);
  } finally {
    if (await isAlive(orphan)) Deno.kill(orphan, "SIGKILL");
  }
});

async function checkRestart(sb: Sandbox, job: { output: string }, orphan: number) {
  const restart = await runCli(
    sb,
    ["--json-logs", "encode-daemon", "run", "--exit-when-empty", "--preset", "ultrafast"],
    ENCODER,
  );
  assert.equal(restart.code, 0, restart.stderr);
  const logs = parseLogs(restart.stderr);
  assert.ok(logs.some((r) => r.message.startsWith("Re-queued")), "the claimed job is recovered");
  assert.ok(logs.some((r) => r.message.startsWith("Killed ffmpeg")), "the orphan is killed");
  assert.equal(logs.filter((r) => r.message.startsWith("Encoded ")).length, 1);
  assert.equal(await isAlive(orphan), false, "the first run's ffmpeg is gone");
  await assertEncoded(job.output, 12);
  assert.deepEqual(await partials(sb.recordDir), []);
  assert.deepEqual(await listDir(sb.jobsDir), []);
  assert.deepEqual(await listDir(join(sb.queueDir, "running")), []);
}

Deno.test("a second encode-daemon is refused with exit code 3", async () => {
  await using sb = await makeSandbox();
  await writeEncoderConfig(sb);
  const first = spawnCli(sb, ["encode-daemon", "run"], ENCODER);
  try {
    await eventually(
      "the first encoder idle",
      async () => (await encoderStatus(sb))?.state === "idle",
    );
    const second = await runCli(sb, ["encode-daemon", "run"], ENCODER);
    assert.equal(second.code, 3);
    assert.match(second.stderr, /already running \(pid \d+\)/);
    const stop = await runCli(sb, ["encode-daemon", "stop", "--timeout", "20"]);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal((await first.status).code, 0);
    const after = await runCli(sb, ["encode-daemon", "stop"]);
    assert.match(after.stdout, /not running/);
  } finally {
    try {
      first.kill("SIGKILL");
    } catch {
      // Already exited.
    }
    await collect(first);
  }
});

Deno.test("encode-daemon starts no job while free space is below disk_free_min", async () => {
  await using sb = await makeSandbox();
  await writeEncoderConfig(sb);
  const job = await clipJob(sb, "waiting", 1, "2024-01-01T00:00:00Z");
  await writeJob(sb, "waiting.json", job);
  const env = { DISK_FREE_MIN_BYTES: String(2 ** 60) };
  const daemon = spawnCli(sb, ["encode-daemon", "run"], { ...ENCODER, env });
  try {
    await eventually(
      "low-disk status",
      async () => (await encoderStatus(sb))?.state === "low-disk",
    );
    assert.deepEqual(await listDir(sb.jobsDir), ["waiting.json"]);
    const stop = await runCli(sb, ["encode-daemon", "stop"]);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal((await daemon.status).code, 0);
  } finally {
    try {
      daemon.kill("SIGKILL");
    } catch {
      // Already exited.
    }
    await collect(daemon);
  }
  const batch = await runCli(sb, ["encode-daemon", "run", "--exit-when-empty"], {
    ...ENCODER,
    env,
  });
  assert.equal(batch.code, 7, batch.stderr);
  assert.match(batch.stderr, /below disk_free_min/);
  assert.deepEqual(await listDir(sb.jobsDir), ["waiting.json"]);
  assert.ok(!(await listDir(sb.recordDir)).includes("waiting_compressed.mp4"));
});

Deno.test("encode-daemon never deletes an input whose output is the input itself or an unrelated file", async () => {
  await using sb = await makeSandbox();
  await writeEncoderConfig(sb);
  await Deno.mkdir(join(sb.recordDir, "sub"), { recursive: true });
  const viaLink = await clipJob(sb, "linked", 2, "2024-01-01T00:00:00Z");
  await Deno.symlink(viaLink.input, viaLink.output);
  const viaDots = await clipJob(sb, "dotted", 2, "2024-01-01T01:00:00Z");
  const dotted = `${sb.recordDir}/sub/../dotted.mp4`;
  const unrelated = await clipJob(sb, "unrelated", 2, "2024-01-01T02:00:00Z");
  await makeClip(unrelated.output, { seconds: 2, width: 320, height: 240 });
  await writeJob(sb, "1-linked.json", { ...viaLink, delete_input_on_success: true });
  await writeJob(sb, "2-dotted.json", {
    ...viaDots,
    output: dotted,
    delete_input_on_success: true,
  });
  await writeJob(sb, "3-unrelated.json", { ...unrelated, delete_input_on_success: true });
  const sizes = async () =>
    await Promise.all([viaLink, viaDots, unrelated].map((j) => Deno.stat(j.input)));
  const before = (await sizes()).map((info) => [info.ino, info.size]);

  const result = await runCli(sb, ["encode-daemon", "run", "--exit-when-empty"], ENCODER);
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stdout, /0 encoded, 3 failed/);
  assert.deepEqual((await sizes()).map((info) => [info.ino, info.size]), before, "inputs intact");
  const reasons = await Promise.all(
    ["1-linked", "2-dotted", "3-unrelated"].map(async (stem) =>
      JSON.parse(await Deno.readTextFile(join(sb.jobsDir, `${stem}.error.json`))).error as string
    ),
  );
  assert.match(reasons[0]!, /is the input itself \(same device and inode\)/);
  assert.match(reasons[1]!, /is the input itself \(same device and inode\)/);
  assert.match(reasons[2]!, /already exists and was not written by this encoder/);
  assert.equal((await ffprobe(unrelated.output)).streams[0]?.height, 240, "unrelated file kept");
});

for (const step of ["encode-verified", "encode-journaled", "encode-installed", "input-deleted"]) {
  Deno.test(`encode-daemon killed with -9 at finishing step "${step}": the restart ends the job as done`, async () => {
    await using sb = await makeSandbox();
    await writeEncoderConfig(sb);
    const job = { ...(await clipJob(sb, "finish", 3, "2024-01-01T00:00:00Z")) };
    await writeJob(sb, "finish.json", { ...job, delete_input_on_success: true });
    const died = await runCli(sb, ["encode-daemon", "run", "--exit-when-empty"], {
      ...ENCODER,
      env: { TWITCHTOOL_FAILPOINT: step },
    });
    assert.notEqual(died.code, 0, "the failpoint killed the encoder");
    assert.match(died.stderr, new RegExp(`Failpoint "${step}"`));

    const restart = await runCli(sb, ["encode-daemon", "run", "--exit-when-empty"], ENCODER);
    assert.equal(restart.code, 0, restart.stderr);
    assert.match(restart.stdout, /1 encoded, 0 failed/);
    await assertEncoded(job.output, 3);
    assert.ok(!(await listDir(sb.recordDir)).includes("finish.mp4"), "the input was deleted");
    assert.deepEqual(await partials(sb.recordDir), []);
    assert.deepEqual(await listDir(sb.jobsDir), [], "no failed or pending job");
    assert.deepEqual(await listDir(join(sb.queueDir, "running")), []);
  });
}

Deno.test({
  name: "encode-daemon on a disk that fills up mid-encode keeps the job queued and exits 7",
  ignore: !(await canMountTmpfs()),
  fn: async () => {
    await using sb = await makeSandbox();
    await writeEncoderConfig(sb);
    const small = join(sb.home, "small");
    await using disk = await mountTmpfs(small, "16k");
    const job = {
      ...(await clipJob(sb, "big", 4, "2024-01-01T00:00:00Z")),
      output: join(small, "big_compressed.mp4"),
      delete_input_on_success: true,
    };
    await writeJob(sb, "big.json", job);
    const size = (await Deno.stat(job.input)).size;
    // No disk_free_min margin: ffmpeg itself runs into "No space left on device".
    const env = { DISK_FREE_MIN_BYTES: "0" };
    const full = await runCli(sb, ["encode-daemon", "run", "--exit-when-empty"], {
      ...ENCODER,
      env,
    });
    assert.equal(full.code, 7, full.stderr);
    assert.match(
      full.stderr,
      /The disk filled up while encoding ".*big_compressed\.mp4": the job stays queued/,
    );
    assert.deepEqual(await listDir(sb.jobsDir), ["big.json"], "not failed, still queued");
    assert.deepEqual(await listDir(small), [], "no partial output left");
    assert.equal((await Deno.stat(job.input)).size, size, "the input stays");

    await disk.resize("64m");
    const roomy = await runCli(sb, ["encode-daemon", "run", "--exit-when-empty"], {
      ...ENCODER,
      env,
    });
    assert.equal(roomy.code, 0, roomy.stderr);
    await assertEncoded(job.output, 4);
    assert.deepEqual(await listDir(sb.jobsDir), []);
  },
});
