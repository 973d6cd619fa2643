/**
 * End-to-end: the real `poller run` (deno run with the binary's permissions) against the local
 * live HLS server, with a custom `download_cmd` (a `twitchtool record` with an extra option), so
 * it launches real recorder processes (streamlink + ffmpeg) that outlive it. The default
 * download_cmd records in the poller's own process: tests/poller_hosting_test.ts.
 *
 * The config lives outside the default location and is only given with `--config`, so a
 * recorder that records at all proves the poller passed `--config` through to it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type CliResult,
  collect,
  defaultConfig,
  ffprobe,
  killLeftovers,
  listDir,
  makeSandbox,
  pollerSection,
  recordingsOf,
  runCli,
  type Sandbox,
  spawnCli,
} from "../testing/cli.ts";
import { eventually } from "../testing/eventually.ts";
import { type LiveHlsServer, startHlsServer } from "../testing/hls_server.ts";
import type { StatusSnapshot } from "../src/state/status_snapshot.ts";

/** The parts of `status --json` these tests read. */
/** A sandbox whose only config is `<home>/poller.toml`, polling every second. */
class PollerWorld {
  readonly configPath: string;
  readonly usersFile: string;
  readonly logsDir: string;
  /** Recorder pids seen, killed at the end if a failed test left them running. */
  readonly pids = new Set<number>();

  constructor(readonly sandbox: Sandbox, readonly server: LiveHlsServer) {
    this.configPath = join(sandbox.home, "poller.toml");
    this.usersFile = join(sandbox.home, "channels.txt");
    this.logsDir = join(sandbox.stateDir, "logs");
  }

  async init(users: string): Promise<void> {
    await Deno.remove(this.sandbox.configPath).catch(() => {});
    await Deno.writeTextFile(
      this.configPath,
      defaultConfig(
        this.sandbox,
        this.server.urlTemplate,
        pollerSection(this.usersFile) +
          `download_cmd = "twitchtool record --loglevel error"\n`,
      ),
    );
    await Deno.writeTextFile(this.usersFile, users);
  }

  cli(args: readonly string[]): Promise<CliResult> {
    return runCli(this.sandbox, ["--config", this.configPath, ...args]);
  }

  startPoller(extra: readonly string[] = []) {
    const process = spawnCli(this.sandbox, [
      "--config",
      this.configPath,
      "poller",
      "run",
      ...extra,
    ]);
    return { process, result: collect(process) };
  }

  async status(): Promise<StatusSnapshot> {
    const result = await this.cli(["status", "--json"]);
    assert.equal(result.code, 0, result.stderr);
    const status = JSON.parse(result.stdout) as StatusSnapshot;
    for (const recording of status.recordings) this.pids.add(recording.pid);
    for (const launch of status.poller.launched) this.pids.add(launch.pid);
    return status;
  }

  /** Waits for a `status --json` satisfying `check`; a timeout tells the last one seen. */
  async waitStatus(what: string, check: (status: StatusSnapshot) => boolean, timeoutMs = 120_000) {
    let last: StatusSnapshot | undefined;
    try {
      return await eventually(what, async () => {
        last = await this.status();
        return check(last) ? last : undefined;
      }, timeoutMs);
    } catch (error) {
      const seen = last && { poller: last.poller, recordings: last.recordings };
      throw new Error(`${(error as Error).message}; last status: ${JSON.stringify(seen)}`);
    }
  }

  mp4s(user: string): Promise<string[]> {
    return recordingsOf(this.sandbox.recordDir, user);
  }

  async log(user: string): Promise<string> {
    return await Deno.readTextFile(join(this.logsDir, `${user}.log`));
  }

  killLeftovers(): void {
    killLeftovers(this.pids);
  }
}

const count = (text: string, pattern: RegExp) => text.match(new RegExp(pattern, "g"))?.length ?? 0;
const capturing = (status: StatusSnapshot, user: string) =>
  status.recordings.find((r) => r.user === user && r.state === "capturing" && r.bytes > 0);

async function stopPoller(poller: { process: Deno.ChildProcess; result: Promise<CliResult> }) {
  try {
    poller.process.kill("SIGTERM");
  } catch {
    // Already exited.
  }
  return await poller.result;
}

Deno.test("poller with a live, an offline and an invalid channel launches exactly one recorder, which records", async () => {
  const server = await startHlsServer({ endGraceMs: 1200 });
  await using sandbox = await makeSandbox();
  const world = new PollerWorld(sandbox, server);
  let poller: ReturnType<PollerWorld["startPoller"]> | undefined;
  try {
    await world.init("# channels under test\nlive_one   # goes live\noffline_one\nnot-valid!\n");
    server.goLive("live_one");
    poller = world.startPoller();

    const recording = await world.waitStatus(
      "live_one capturing",
      (s) => capturing(s, "live_one") !== undefined,
    );
    assert.equal(recording.recordings.length, 1);
    assert.equal(recording.poller.running, true);
    assert.equal(recording.poller.pid, poller.process.pid);

    // A whole cycle after the launch sees the recorder and leaves it alone.
    const settled = await world.waitStatus(
      "a poll cycle that finds live_one already recording",
      (s) =>
        s.poller.skipped.some((k) => k.user === "live_one" && k.reason === "already recording"),
    );
    assert.deepEqual(settled.poller.live, ["live_one"]);
    assert.deepEqual(settled.recordings.map((r) => [r.user, r.pid]), [
      ["live_one", recording.recordings[0]!.pid],
    ]);
    const pollerStatus = JSON.parse(
      await Deno.readTextFile(join(sandbox.stateDir, "poller.status.json")),
    );
    assert.deepEqual(pollerStatus.invalid, [{ line: 4, text: "not-valid!" }]);
    assert.deepEqual(pollerStatus.offline, ["offline_one"]);
    assert.deepEqual(await listDir(world.logsDir), ["live_one.log"]);

    server.end("live_one");
    await world.waitStatus("live_one finished", (s) => s.recordings.length === 0);
    const mp4s = await eventually("live_one .mp4", async () => {
      const found = await world.mp4s("live_one");
      return found.length > 0 ? found : undefined;
    });
    assert.equal(mp4s.length, 1);
    const info = await ffprobe(mp4s[0]!);
    assert.ok(info.duration > 1, `duration ${info.duration}`);
    assert.ok(info.streams.some((s) => s.codec_type === "video"));

    const log = await world.log("live_one");
    assert.equal(count(log, /twitchtool poller: /), 1, log);
    assert.equal(count(log, /Recording "?live_one"? in slot 1/), 1, log);
    assert.match(log, /--config \S*poller\.toml/);

    const final = await world.waitStatus("job queued", (s) => s.queue.pending.length === 1);
    assert.equal(final.queue.pending[0]!.input, mp4s[0]);
    assert.equal(final.poller.running, true);

    const stopped = await stopPoller(poller);
    poller = undefined;
    assert.equal(stopped.code, 0, stopped.stderr);
    const after = await world.status();
    assert.equal(after.poller.running, false);
    assert.equal(after.poller.pid, null);
  } finally {
    if (poller) await stopPoller(poller);
    world.killLeftovers();
    await server.close();
  }
});

Deno.test("with record_limit 1 a second live channel waits; a poller restart neither kills nor duplicates the recorder; stop <slot> finalizes", async () => {
  const server = await startHlsServer({ endGraceMs: 1200 });
  await using sandbox = await makeSandbox();
  const world = new PollerWorld(sandbox, server);
  let poller: ReturnType<PollerWorld["startPoller"]> | undefined;
  try {
    await world.init("alpha_ch\nbeta_ch\n");
    server.goLive("alpha_ch");
    server.goLive("beta_ch");
    poller = world.startPoller(["--record-limit", "1"]);

    // Which channel gets the one slot depends on which probe answers first (a probe can time
    // out on a loaded machine): the other is held back.
    const channels = ["alpha_ch", "beta_ch"];
    const heldBack = (s: StatusSnapshot, user: string) =>
      s.poller.skipped.some((k) => k.user === user && /record limit 1/.test(k.reason));
    const first = await world.waitStatus(
      "one channel capturing while the other is held back by the limit",
      (s) =>
        channels.some((user) => capturing(s, user) !== undefined) &&
        channels.some((user) => heldBack(s, user)),
    );
    const holder = first.recordings[0]!.user;
    const waiter = channels.find((user) => user !== holder)!;
    assert.ok(heldBack(first, waiter), `${waiter} held back`);
    assert.deepEqual(first.recordings.map((r) => r.user), [holder]);
    const holderPid = first.recordings[0]!.pid;

    const second = await world.cli(["poller", "run"]);
    assert.equal(second.code, 3, second.stderr);
    assert.match(second.stderr, /already running/);

    // Restart the poller: the recorder it launched keeps recording.
    const stopped = await stopPoller(poller);
    poller = undefined;
    assert.equal(stopped.code, 0, stopped.stderr);
    const between = await world.status();
    assert.equal(between.poller.running, false);
    assert.deepEqual(between.recordings.map((r) => [r.user, r.pid]), [[holder, holderPid]]);

    poller = world.startPoller(["--record-limit", "1"]);
    const restarted = await world.waitStatus(
      "a cycle of the new poller",
      (s) =>
        s.poller.running && s.poller.pid === poller!.process.pid &&
        s.poller.skipped.some((k) => k.user === holder && k.reason === "already recording"),
    );
    assert.deepEqual(restarted.poller.launched, []);
    assert.deepEqual(restarted.recordings.map((r) => [r.user, r.pid, r.state]), [
      [holder, holderPid, "capturing"],
    ]);
    assert.deepEqual(await listDir(world.logsDir), [`${holder}.log`]);

    // The first recording ends: its slot frees and the waiter is launched.
    server.end(holder);
    const waiting = await world.waitStatus(
      `${waiter} capturing`,
      (s) => capturing(s, waiter) !== undefined,
      300_000,
    );
    assert.deepEqual(waiting.recordings.map((r) => r.user), [waiter]);
    assert.equal((await world.mp4s(holder)).length, 1);
    const holderLog = await world.log(holder);
    assert.equal(count(holderLog, /twitchtool poller: /), 1, `${holder} was launched once`);

    // Stop the poller first (so it does not relaunch the waiter), then the recording by slot.
    const pollerStop = await world.cli(["poller", "stop"]);
    assert.equal(pollerStop.code, 0, pollerStop.stderr);
    assert.match(pollerStop.stdout, /Stopped the poller/);
    assert.equal((await poller.result).code, 0);
    poller = undefined;

    const slot = waiting.recordings[0]!.slot;
    const stop = await world.cli(["stop", String(slot), "--timeout", "60"]);
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stdout, new RegExp(`Stopped ${waiter}: the recording was finalized`));
    const waiterMp4 = await world.mp4s(waiter);
    assert.equal(waiterMp4.length, 1);
    const info = await ffprobe(waiterMp4[0]!);
    assert.ok(info.duration > 0, `duration ${info.duration}`);
    assert.ok(info.streams.some((s) => s.codec_type === "video"));

    const end = await world.status();
    assert.deepEqual(end.recordings, []);
    assert.equal(end.poller.running, false);
    assert.deepEqual(
      end.queue.pending.map((job) => job.input).sort(),
      [...await world.mp4s(holder), ...waiterMp4].sort(),
    );
  } finally {
    if (poller) await stopPoller(poller);
    world.killLeftovers();
    await server.close();
  }
});
