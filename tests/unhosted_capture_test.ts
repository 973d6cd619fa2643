/**
 * End-to-end: a capture whose poller is gone (stopped, killed) still counts. Its streamlink
 * holds its slot's and its channel's capture locks, so `status` shows it, the cap holds, the
 * channel cannot be recorded twice, the encoder stays paused, `stop` ends and finalizes it with
 * no poller, and a restarted poller adopts it, also when the poller died at a part boundary or
 * right after starting streamlink. Real `poller run`, `encode-daemon run`, streamlink and
 * ffmpeg against the local live HLS server.
 */
import { eventually } from "../testing/eventually.ts";
import { procState, streamlinksWith } from "../testing/processes.ts";
import { readProcStat } from "../testing/proc_stat.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  collect,
  defaultConfig,
  killLeftovers,
  makeSandbox,
  pollerSection,
  recordingsOf,
  runCli,
  type Sandbox,
  spawnCli,
} from "../testing/cli.ts";
import { type LiveHlsServer, startHlsServer } from "../testing/hls_server.ts";
import { contentSeconds } from "../testing/media.ts";
import { encoderStatus, makeClip, writeJob } from "../testing/encode_clips.ts";
import type { RecordingView, StatusSnapshot } from "../src/state/status_snapshot.ts";

class World {
  readonly configPath: string;
  readonly usersFile: string;
  poller: Deno.ChildProcess | undefined;
  readonly leftovers = new Set<number>();

  constructor(readonly sandbox: Sandbox, readonly server: LiveHlsServer) {
    this.configPath = join(sandbox.home, "unhosted.toml");
    this.usersFile = join(sandbox.home, "channels.txt");
  }

  async setUp(users: string[], retryWindow: number): Promise<void> {
    const extra = `\n[limits]\nrecord_limit = 1\n` +
      pollerSection(this.usersFile) +
      `\n[encode_daemon]\npreset = "medium"\n`;
    await Deno.writeTextFile(
      this.configPath,
      defaultConfig(this.sandbox, this.server.urlTemplate, extra, { retryWindow }),
    );
    await Deno.writeTextFile(this.usersFile, users.join("\n") + "\n");
  }

  cli(args: readonly string[]) {
    return runCli(this.sandbox, ["--config", this.configPath, ...args]);
  }

  spawn(args: readonly string[], env: Record<string, string> = {}): Deno.ChildProcess {
    const child = spawnCli(this.sandbox, ["--config", this.configPath, ...args], { env });
    this.leftovers.add(child.pid);
    return child;
  }

  startPoller(env: Record<string, string> = {}): Deno.ChildProcess {
    this.poller = this.spawn(["poller", "run"], env);
    return this.poller;
  }

  async status(): Promise<StatusSnapshot> {
    const result = await this.cli(["status", "--json"]);
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout);
  }

  waitRecording(what: string, check: (r: RecordingView) => boolean, timeoutMs = 60_000) {
    return eventually(what, async () => (await this.status()).recordings.find(check), timeoutMs);
  }

  /** Waits until `user` captures with data in the running poller. */
  hostedCapture(user: string) {
    const pid = this.poller!.pid;
    return this.waitRecording(
      `${user} capturing in poller ${pid}`,
      (r) => r.user === user && r.pid === pid && r.state === "capturing" && r.bytes > 0,
    );
  }

  async streamlinks(): Promise<number[]> {
    const pids = (await streamlinksWith(this.sandbox.tempDir))
      .map((p) => p.pid)
      .sort((a, b) => a - b);
    for (const pid of pids) this.leftovers.add(pid);
    return pids;
  }

  async shutDown(extra: (Deno.ChildProcess | undefined)[] = []): Promise<void> {
    for (const process of [this.poller, ...extra]) {
      try {
        process?.kill("SIGTERM");
        await process?.status;
      } catch {
        // Already exited.
      }
    }
    killLeftovers(this.leftovers);
  }
}

Deno.test("a capture whose poller stopped keeps its slot, shows in status, pauses the encoder, blocks a second capture, is stopped and finalized by stop with no poller, and is adopted by the next poller", async () => {
  const server = await startHlsServer({ endGraceMs: 1200 });
  await using sandbox = await makeSandbox();
  const world = new World(sandbox, server);
  let encoder: Deno.ChildProcess | undefined;
  try {
    await world.setUp(["alice"], 30);
    await Deno.mkdir(sandbox.recordDir, { recursive: true });
    const clip = await makeClip(join(sandbox.recordDir, "clip.mp4"), { seconds: 30 });
    await writeJob(sandbox, "clip.json", {
      input: clip,
      output: join(sandbox.recordDir, "clip_compressed.mp4"),
      created_at: "2024-01-01T00:00:00Z",
      delete_input_on_success: false,
    });
    encoder = world.spawn(["encode-daemon", "run"]);
    await eventually("the encode running", async () => (await encoderStatus(sandbox))?.current_job);

    server.goLive("alice");
    server.goLive("other");
    world.startPoller();
    await world.hostedCapture("alice");
    const [capture] = await world.streamlinks();
    assert.ok(capture, "alice's streamlink runs");
    const paused = await eventually("the encode paused", async () => {
      const status = await encoderStatus(sandbox);
      return status?.paused && status.current_job?.ffmpeg_pid ? status : undefined;
    });
    const ffmpeg = paused.current_job!.ffmpeg_pid!;
    world.leftovers.add(ffmpeg);
    await eventually("ffmpeg stopped", async () => (await procState(ffmpeg)) === "T");
    const stoppedCpu = (await readProcStat(ffmpeg))?.cpuSeconds;

    // The poller stops; its detached streamlink writes on, and still counts.
    const pollerStop = await world.cli(["poller", "stop"]);
    assert.equal(pollerStop.code, 0, pollerStop.stderr);
    await collect(world.poller!);
    const orphan = await world.waitRecording(
      "alice capturing with no host",
      (r) => r.user === "alice" && r.state === "capturing, no host",
    );
    assert.equal(orphan.slot, 1);
    assert.equal(orphan.hosted, false);
    await world.waitRecording(
      "alice's size growing with no host",
      (r) => r.user === "alice" && r.state === "capturing, no host" && r.bytes > orphan.bytes,
    );
    const table = await world.cli(["status"]);
    assert.match(table.stdout, /Recordings \(1\/1 slots in use\)/);
    assert.match(table.stdout, /│ 1 +│ alice +│/);

    const other = await world.cli(["record", "other", "--fail-fast"]);
    assert.equal(other.code, 4, other.stderr);
    assert.match(other.stderr, /All 1 recording slots are in use \(slot1=alice\)/);
    const again = await world.cli(["record", "alice"]);
    assert.equal(again.code, 3, again.stderr);
    assert.match(again.stderr, /Channel "alice" is already being recorded/);
    assert.deepEqual(await world.streamlinks(), [capture], "no second capture started");
    const still = await encoderStatus(sandbox);
    assert.equal(still?.paused, true, "the encoder stays paused");
    assert.equal(await procState(ffmpeg), "T");

    // A restarted poller adopts the very same streamlink in the same slot.
    world.startPoller();
    const adopted = await world.hostedCapture("alice");
    assert.equal(adopted.slot, 1);
    assert.equal(adopted.hosted, true);
    assert.deepEqual(await world.streamlinks(), [capture]);
    assert.equal(
      (await readProcStat(ffmpeg))?.cpuSeconds,
      stoppedCpu,
      "ffmpeg ran while alice captured",
    );

    // kill -9 of that poller, then `stop 1` with no poller at all: stopped and finalized here.
    world.poller!.kill("SIGKILL");
    await collect(world.poller!);
    await world.waitRecording("alice without host again", (r) => r.state === "capturing, no host");
    const stop = await world.cli(["stop", "1", "--timeout", "60"]);
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stdout, /Stopping alice in slot 1 \(/);
    assert.match(stop.stdout, /Stopped alice: the recording was finalized: .*alice_.*\.mp4/);
    assert.deepEqual(await world.streamlinks(), []);
    const files = await recordingsOf(sandbox.recordDir, "alice");
    assert.equal(files.length, 1, `${files}`);
    assert.ok((await contentSeconds(files[0]!)) > 2, "the finalized file holds the capture");
    const after = await world.status();
    assert.deepEqual(after.recordings, []);
    assert.ok(after.queue.pending.some((job) => job.input === files[0]), "encode job queued");
    await eventually("the encode resumed", async () => (await procState(ffmpeg)) !== "T");
  } finally {
    await world.shutDown([encoder]);
    await server.close();
  }
});

Deno.test("a poller killed at a part boundary or right after starting streamlink gives one recording: the next poller adopts the session", async () => {
  const server = await startHlsServer({ endGraceMs: 1200 });
  await using sandbox = await makeSandbox();
  const world = new World(sandbox, server);
  try {
    await world.setUp(["alice"], 30);
    server.goLive("alice");
    const start = Date.now();
    // Killed right after spawning streamlink, before journaling its pid.
    const crashed = world.startPoller({ TWITCHTOOL_FAILPOINT: "streamlink-spawned" });
    const result = await collect(crashed);
    assert.equal(result.code, 137, result.stderr);
    const [capture] = await eventually("the orphaned streamlink", async () => {
      const pids = await world.streamlinks();
      return pids.length > 0 ? pids : undefined;
    });
    world.startPoller();
    await world.hostedCapture("alice");
    assert.deepEqual(await world.streamlinks(), [capture], "adopted, not started again");

    // kill -9 while the part is open, then the broadcast drops and comes back: the part ends
    // with no poller; the next one goes on in the same session.
    world.poller!.kill("SIGKILL");
    await collect(world.poller!);
    server.end("alice");
    await eventually("the part ended", async () => (await world.streamlinks()).length === 0);
    server.goLive("alice");
    world.startPoller();
    await world.hostedCapture("alice");
    await new Promise((resolve) => setTimeout(resolve, 4000));
    server.end("alice");
    const broadcast = (Date.now() - start) / 1000;
    let last: StatusSnapshot | undefined;
    // The poller finalizes at nice 19 and idle I/O: on a machine busy with other work (CI runs
    // the suite in parallel) that can take minutes, and it is the behaviour wanted.
    await eventually("alice finished and queued", async () => {
      last = await world.status();
      return last.recordings.length === 0 && last.queue.pending.length === 1;
    }, 300_000).catch((error) => {
      throw new Error(`${error.message}; last status: ${JSON.stringify(last)}`);
    });
    const files = await recordingsOf(sandbox.recordDir, "alice");
    assert.equal(files.length, 1, `one recording, not split: ${files}`);
    const seconds = await contentSeconds(files[0]!);
    assert.ok(seconds > 4, `${seconds} s recorded of a ${broadcast.toFixed(1)} s broadcast`);
  } finally {
    await world.shutDown();
    await server.close();
  }
});

Deno.test("stop <slot> tells the truth when the poller is killed and restarted while it waits", async () => {
  const server = await startHlsServer({ endGraceMs: 1200 });
  await using sandbox = await makeSandbox();
  const world = new World(sandbox, server);
  try {
    await world.setUp(["alice"], 30);
    server.goLive("alice");
    world.startPoller();
    const recording = await world.hostedCapture("alice");
    // Off the list, so no poller starts alice again once stopped (she stays live).
    await Deno.writeTextFile(world.usersFile, "\n");
    const stop = world.spawn(["stop", String(recording.slot), "--timeout", "60"]);
    world.poller!.kill("SIGKILL");
    await collect(world.poller!);
    world.startPoller();
    const result = await collect(stop);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Stopped alice: the recording was finalized: .*alice_.*\.mp4/);
    assert.deepEqual(await world.streamlinks(), [], "the capture really stopped");
    const files = await recordingsOf(sandbox.recordDir, "alice");
    assert.equal(files.length, 1, `${files}`);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    assert.deepEqual(await world.streamlinks(), [], "and nobody carried it on");
    assert.deepEqual((await world.status()).recordings, []);
  } finally {
    await world.shutDown();
    await server.close();
  }
});
