/**
 * End-to-end: with the default download_cmd the poller records every live channel inside its
 * own process, with detached streamlinks that outlive it. Real `poller run` and
 * `encode-daemon run` (deno run with the binary's permissions), real streamlink and ffmpeg,
 * against the local live HLS server; processes are counted from /proc.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  collect,
  defaultConfig,
  killLeftovers,
  listDir,
  MAIN_TS,
  makeSandbox,
  pollerSection,
  recordingsOf,
  runCli,
  type Sandbox,
  spawnCli,
} from "../testing/cli.ts";
import { eventually } from "../testing/eventually.ts";
import { processesWith, procState, streamlinksWith } from "../testing/processes.ts";
import { readProcStat } from "../testing/proc_stat.ts";
import { startHlsServer } from "../testing/hls_server.ts";
import { contentSeconds } from "../testing/media.ts";
import { encoderStatus, makeClip, writeJob } from "../testing/encode_clips.ts";
import type { StatusSnapshot } from "../src/state/status_snapshot.ts";

const CHANNELS = ["host_a", "host_b", "host_c"];

class World {
  readonly configPath: string;
  readonly usersFile: string;
  poller: Deno.ChildProcess | undefined;
  readonly leftovers = new Set<number>();

  constructor(readonly sandbox: Sandbox, urlTemplate: string) {
    this.configPath = join(sandbox.home, "hosting.toml");
    this.usersFile = join(sandbox.home, "channels.txt");
    this.config = defaultConfig(
      sandbox,
      urlTemplate,
      pollerSection(this.usersFile) +
        `\n[encode_daemon]\npreset = "medium"\n`,
    );
  }
  readonly config: string;

  cli(args: readonly string[]) {
    return runCli(this.sandbox, ["--config", this.configPath, ...args]);
  }

  startPoller(): Deno.ChildProcess {
    this.poller = spawnCli(this.sandbox, ["--config", this.configPath, "poller", "run"]);
    this.leftovers.add(this.poller.pid);
    return this.poller;
  }

  async status(): Promise<StatusSnapshot> {
    const result = await this.cli(["status", "--json"]);
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout);
  }

  waitStatus(what: string, check: (status: StatusSnapshot) => boolean, timeoutMs = 60_000) {
    return eventually(what, async () => {
      const status = await this.status();
      return check(status) ? status : undefined;
    }, timeoutMs);
  }

  /** Waits until every channel in `users` captures in the current poller. */
  allCapturing(users: readonly string[]) {
    const pid = this.poller!.pid;
    return this.waitStatus(
      `${users.join(", ")} capturing in poller ${pid}`,
      (s) =>
        users.every((user) =>
          s.recordings.some((r) =>
            r.user === user && r.pid === pid && r.state === "capturing" && r.bytes > 0
          )
        ),
    );
  }

  /** twitchtool processes of this sandbox, and streamlinks writing into its temp dir. */
  async processes() {
    const tools = await processesWith(this.configPath);
    return {
      pollers: tools.filter((p) => p.argv.includes(MAIN_TS) && p.argv.includes("poller")),
      recorders: tools.filter((p) => p.argv.includes(MAIN_TS) && p.argv.includes("record")),
      streamlinks: await streamlinksWith(this.sandbox.tempDir),
    };
  }

  mp4s(user: string): Promise<string[]> {
    return recordingsOf(this.sandbox.recordDir, user);
  }

  killLeftovers(): void {
    killLeftovers(this.leftovers);
  }
}

Deno.test("the poller records 3 channels in its own process; kill -9 and SIGTERM restarts neither end nor split them; stop <slot> finalizes one; the encoder pauses meanwhile", async () => {
  const server = await startHlsServer({ endGraceMs: 1200 });
  await using sandbox = await makeSandbox();
  const world = new World(sandbox, server.urlTemplate);
  let encoder: Deno.ChildProcess | undefined;
  try {
    await Deno.writeTextFile(world.configPath, world.config);
    await Deno.writeTextFile(world.usersFile, CHANNELS.join("\n") + "\n");
    // An encode that is running when the recordings start, so its pausing can be seen.
    await Deno.mkdir(sandbox.recordDir, { recursive: true });
    const clip = await makeClip(join(sandbox.recordDir, "clip.mp4"), { seconds: 30 });
    await writeJob(sandbox, "clip.json", {
      input: clip,
      output: join(sandbox.recordDir, "clip_compressed.mp4"),
      created_at: "2024-01-01T00:00:00Z",
      delete_input_on_success: false,
    });
    encoder = spawnCli(sandbox, ["--config", world.configPath, "encode-daemon", "run"]);
    world.leftovers.add(encoder.pid);
    await eventually("the encode running", async () => (await encoderStatus(sandbox))?.current_job);

    for (const user of CHANNELS) server.goLive(user);
    world.startPoller();
    await world.allCapturing(CHANNELS);
    const liveStart = Date.now();

    // One Deno process records all three; only streamlinks are added.
    const first = await world.processes();
    assert.deepEqual(first.pollers.map((p) => p.pid), [world.poller!.pid]);
    assert.deepEqual(first.recorders, []);
    assert.equal(first.streamlinks.length, 3);
    for (const s of first.streamlinks) world.leftovers.add(s.pid);
    const paused = await eventually("the encode paused", async () => {
      const status = await encoderStatus(sandbox);
      return status?.paused && status.current_job?.ffmpeg_pid ? status : undefined;
    });
    const ffmpeg = paused.current_job!.ffmpeg_pid!;
    world.leftovers.add(ffmpeg);
    // SIGSTOP takes effect once the kernel schedules the (nice 19) ffmpeg; from then on it
    // must get no CPU at all while any capture runs, hosted, orphaned or being adopted.
    await eventually("ffmpeg stopped", async () => (await procState(ffmpeg)) === "T");
    const stoppedCpu = (await readProcStat(ffmpeg))?.cpuSeconds;

    // kill -9: the streamlinks go on writing; the next poller adopts them.
    world.poller!.kill("SIGKILL");
    await collect(world.poller!);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const orphaned = await world.processes();
    assert.deepEqual(
      orphaned.streamlinks.map((p) => p.pid).sort(),
      first.streamlinks.map((p) => p.pid).sort(),
    );
    world.startPoller();
    const adopted = await world.allCapturing(CHANNELS);
    assert.ok(adopted.poller.running);
    const afterKill = await world.processes();
    assert.deepEqual(
      afterKill.streamlinks.map((p) => p.pid).sort(),
      first.streamlinks.map((p) => p.pid).sort(),
      "the adopted streamlinks are the original ones",
    );

    // systemctl restart (SIGTERM, KillMode=process): the same.
    world.poller!.kill("SIGTERM");
    const stopped = await collect(world.poller!);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stderr, /recordings keep capturing/);
    world.startPoller();
    const restarted = await world.allCapturing(CHANNELS);
    assert.equal((await world.processes()).streamlinks.length, 3);

    // stop <slot> on a hosted recording: the poller finalizes it (taken off the list first,
    // so the poller does not start it again while it is live).
    await Deno.writeTextFile(world.usersFile, "host_b\nhost_c\n");
    const slotA = restarted.recordings.find((r) => r.user === "host_a")!.slot;
    // The session was adopted (by the restarted poller), so the parts are finalized at nice 19:
    // on a loaded machine that took over 60 s. The wait is only a failure detector.
    const stop = await world.cli(["stop", String(slotA), "--timeout", "300"]);
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stdout, /Stopped host_a: the recording was finalized/);
    assert.equal((await world.mp4s("host_a")).length, 1);
    assert.equal((await world.processes()).streamlinks.length, 2);

    assert.equal(await procState(ffmpeg), "T");
    assert.equal(
      (await readProcStat(ffmpeg))?.cpuSeconds,
      stoppedCpu,
      "ffmpeg ran while captures ran",
    );
    server.end("host_b");
    server.end("host_c");
    const broadcast = (Date.now() - liveStart) / 1000;
    const done = await world.waitStatus(
      "host_b and host_c finished and queued",
      (s) =>
        s.recordings.length === 0 &&
        s.queue.pending.filter((job) => job.input !== clip).length === 3,
      300_000,
    );
    for (const user of ["host_b", "host_c"]) {
      const files = await world.mp4s(user);
      assert.equal(files.length, 1, `${user}: ${files}`);
      const seconds = await contentSeconds(files[0]!);
      assert.ok(
        broadcast - seconds <= 3,
        `${user}: ${seconds.toFixed(1)} s recorded of a ${broadcast.toFixed(1)} s broadcast`,
      );
    }
    const inputs = done.queue.pending.map((job) => job.input).filter((input) => input !== clip);
    const expected = (await Promise.all(CHANNELS.map((u) => world.mp4s(u)))).flat();
    assert.deepEqual(inputs.sort(), expected.sort(), "one job per recording");
    assert.deepEqual(
      (await listDir(sandbox.tempDir)).filter((name) => !name.endsWith(".log")),
      [],
    );
    await eventually("the encode resumed", async () => {
      const state = await procState(ffmpeg);
      return state !== "T";
    });
    assert.deepEqual((await world.processes()).recorders, []);
  } finally {
    for (const process of [world.poller, encoder]) {
      try {
        process?.kill("SIGTERM");
        await process?.status;
      } catch {
        // Already exited.
      }
    }
    world.killLeftovers();
    await server.close();
  }
});
