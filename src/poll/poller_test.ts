import assert from "node:assert/strict";
import { configure, reset } from "@logtape/logtape";
import { type Clock, systemClock } from "../util/clock.ts";
import { FakeClock } from "../../testing/fake_clock.ts";
import { TwitchApiError } from "../errors.ts";
import { FallbackDetector, type StreamInfo } from "./detect_live.ts";
import type { PollerStatus } from "../state/daemon_status.ts";
import { Poller, type PollerDeps } from "./poller.ts";
import type { ProbeResult } from "./probe_channels.ts";
import { UsersFileError, type UsersList } from "./users_file.ts";

const START = Date.parse("2024-05-01T12:00:00Z");

/** A scripted world: who is live, who holds locks, which launched recorders exited. */
class World {
  users: UsersList | undefined = { users: [], invalid: [] };
  live = new Set<string>();
  locked = new Set<string>();
  slots: string[] = [];
  launches: string[] = [];
  launchStreams: (StreamInfo | undefined)[] = [];
  /** `undefined`: no API, streamlink probes only; else whether the API answers. */
  apiUp: boolean | undefined = undefined;
  unknown = new Set<string>();
  probed: string[] = [];
  statuses: PollerStatus[] = [];
  exits = new Map<string, () => void>();
  nextPid = 100;
  failReads = 0;
  /** Launches are sessions in this process (the poller's pid) rather than recorders. */
  hosted = false;

  deps(clock: Clock, onStatus?: (status: PollerStatus) => void): PollerDeps {
    return {
      clock,
      readUsers: () => {
        if (this.failReads > 0) {
          this.failReads--;
          return Promise.reject(new Error("disk on fire"));
        }
        return Promise.resolve(this.users);
      },
      detector: new FallbackDetector(
        this.apiUp === undefined ? undefined : {
          name: "gql",
          lookup: (users) => {
            if (!this.apiUp) return Promise.reject(new TwitchApiError("HTTP 500 from the API"));
            const live = new Map<string, StreamInfo>();
            for (const user of users) {
              if (this.live.has(user)) live.set(user, { id: `id-${user}`, createdAt: "T0" });
            }
            return Promise.resolve({ live, unknown: users.filter((u) => this.unknown.has(u)) });
          },
        },
        (users) => {
          this.probed.push(...users);
          return Promise.resolve(
            new Map(users.map((u) => [u, this.live.has(u) ? "live" : "offline" as ProbeResult])),
          );
        },
      ),
      slotHolders: () => Promise.resolve([...this.slots]),
      isRecording: (user) => Promise.resolve(this.locked.has(user)),
      launch: (user, stream) => {
        this.launches.push(user);
        this.launchStreams.push(stream);
        const exited = new Promise<number>((resolve) => this.exits.set(user, () => resolve(0)));
        return Promise.resolve({
          pid: this.hosted ? 7 : this.nextPid++,
          exited,
          log: `/logs/${user}.log`,
          hosted: this.hosted,
        });
      },
      writeStatus: (status) => {
        this.statuses.push(status);
        onStatus?.(status);
        return Promise.resolve();
      },
    };
  }
}

const SETTINGS = {
  usersFile: "/cfg/users.txt",
  intervalMs: 60_000,
  recordLimit: 2,
  launchGraceMs: 120_000,
};

/** The poll logger's messages from now until `reset()`, as text. */
async function capturePollLogs(): Promise<string[]> {
  const messages: string[] = [];
  await configure({
    sinks: { memory: (record) => messages.push(record.message.join("")) },
    loggers: [{ category: ["twitchtool", "poll"], sinks: ["memory"], lowestLevel: "info" }],
    reset: true,
  });
  return messages;
}

Deno.test("Poller.pollOnce() launches free live channels up to the record limit", async () => {
  const world = new World();
  world.users = { users: ["a_1", "b_1", "c_1", "d_1"], invalid: [{ line: 3, text: "x y" }] };
  world.live = new Set(["a_1", "b_1", "c_1"]);
  world.locked = new Set(["a_1"]);
  const poller = new Poller(SETTINGS, world.deps(new FakeClock(START)));
  const report = await poller.pollOnce(new AbortController().signal);
  assert.deepEqual(world.launches, ["b_1"]);
  assert.deepEqual(report.live, ["a_1", "b_1", "c_1"]);
  assert.deepEqual(report.offline, ["d_1"]);
  assert.deepEqual(report.launched, [{ user: "b_1", pid: 100, log: "/logs/b_1.log" }]);
  assert.deepEqual(report.skipped, [
    { user: "a_1", reason: "already recording" },
    { user: "c_1", reason: "record limit 2 reached" },
  ]);
  assert.equal(report.active, 2);
  assert.deepEqual(report.invalid, [{ line: 3, text: "x y" }]);
});

Deno.test("Poller.pollOnce() counts slots held by recorders it did not launch", async () => {
  const world = new World();
  world.users = { users: ["a_1", "b_1"], invalid: [] };
  world.live = new Set(["a_1", "b_1"]);
  world.slots = ["Manual_1", "other_2"];
  const report = await new Poller(SETTINGS, world.deps(new FakeClock(START))).pollOnce(
    new AbortController().signal,
  );
  assert.deepEqual(world.launches, []);
  assert.equal(report.skipped.length, 2);
});

Deno.test("Poller.pollOnce() does not relaunch a recorder that is still starting, but does after it exits", async () => {
  const world = new World();
  world.users = { users: ["a_1", "b_1"], invalid: [] };
  world.live = new Set(["a_1", "b_1"]);
  const clock = new FakeClock(START);
  const poller = new Poller({ ...SETTINGS, recordLimit: 1 }, world.deps(clock));
  const signal = new AbortController().signal;
  await poller.pollOnce(signal);
  assert.deepEqual(world.launches, ["a_1"]);

  clock.time += 30_000;
  const second = await poller.pollOnce(signal);
  assert.deepEqual(world.launches, ["a_1"], "a_1 is starting: neither a_1 nor b_1 again");
  assert.deepEqual(second.skipped, [
    { user: "a_1", reason: "already recording" },
    { user: "b_1", reason: "record limit 1 reached" },
  ]);

  world.locked.add("a_1");
  await poller.pollOnce(signal);
  assert.deepEqual(world.launches, ["a_1"], "a_1 now holds its lock");

  world.locked.delete("a_1");
  world.live.delete("a_1");
  world.exits.get("a_1")!();
  await Promise.resolve();
  await poller.pollOnce(signal);
  assert.deepEqual(world.launches, ["a_1", "b_1"], "a_1 finished: b_1 gets its place");
});

Deno.test("Poller.run() survives a failing cycle, writes status each cycle and stops on abort", async () => {
  const world = new World();
  world.users = { users: ["a_1"], invalid: [] };
  world.live = new Set(["a_1"]);
  world.failReads = 1;
  const clock = new FakeClock(START);
  const controller = new AbortController();
  const poller = new Poller(
    SETTINGS,
    world.deps(clock, (status) => {
      if (status.state === "running" && !status.last_error) controller.abort();
    }),
  );
  await poller.run(controller.signal);
  const states = world.statuses.map((s) => s.state);
  assert.deepEqual(states, ["starting", "running", "running", "stopped"]);
  const [, failed, ok, stopped] = world.statuses;
  assert.equal(failed?.last_error, "disk on fire");
  assert.equal(failed?.last_poll, "2024-05-01T12:00:00.000Z");
  assert.equal(failed?.next_poll, "2024-05-01T12:01:00.000Z");
  assert.equal(ok?.last_poll, "2024-05-01T12:01:00.000Z");
  assert.deepEqual(ok?.launched?.map((l) => l.user), ["a_1"]);
  assert.deepEqual(ok?.live, ["a_1"]);
  assert.equal(stopped?.next_poll, null);
  assert.equal(stopped?.started_at, "2024-05-01T12:00:00.000Z");
});

Deno.test("Poller.run() returns promptly when aborted in the middle of its sleep", async () => {
  const world = new World();
  world.users = undefined;
  const controller = new AbortController();
  const poller = new Poller(
    { ...SETTINGS, intervalMs: 3_600_000 },
    world.deps(systemClock, (status) => {
      if (status.state === "running") setTimeout(() => controller.abort(), 10);
    }),
  );
  let guard: ReturnType<typeof setTimeout> | undefined;
  const outcome = await Promise.race([
    poller.run(controller.signal).then(() => "stopped"),
    new Promise((resolve) => guard = setTimeout(() => resolve("still sleeping"), 10_000)),
  ]);
  clearTimeout(guard);
  assert.equal(outcome, "stopped");
  assert.equal(world.statuses.at(-1)?.state, "stopped");
  assert.equal(world.statuses.at(-2)?.users, 0, "a missing users file means no channels");
});

Deno.test("Poller with the API launches with the stream's details, and falls back to probes while the API fails", async () => {
  const world = new World();
  world.users = { users: ["a_1", "b_1", "ghost_1"], invalid: [] };
  world.live = new Set(["a_1"]);
  world.unknown = new Set(["ghost_1"]);
  world.apiUp = true;
  const clock = new FakeClock(START);
  const controller = new AbortController();
  let cycles = 0;
  const poller = new Poller(
    { ...SETTINGS, recordLimit: 5, fallbackIntervalMs: 300_000, launchGraceMs: 900_000 },
    world.deps(clock, (status) => {
      if (status.state !== "running") return;
      cycles++;
      if (cycles === 1) {
        world.apiUp = false;
        world.live.add("b_1");
      }
      if (cycles === 2) world.apiUp = true;
      if (cycles === 3) controller.abort();
    }),
  );
  await poller.run(controller.signal);
  const running = world.statuses.filter((s) => s.state === "running");
  assert.deepEqual(running.map((s) => s.detector), ["gql", "streamlink", "gql"]);
  assert.deepEqual(
    running.map((s) => [s.last_poll, s.next_poll]),
    [
      ["2024-05-01T12:00:00.000Z", "2024-05-01T12:01:00.000Z"],
      ["2024-05-01T12:01:00.000Z", "2024-05-01T12:06:00.000Z"],
      ["2024-05-01T12:06:00.000Z", "2024-05-01T12:07:00.000Z"],
    ],
    "after a fallback cycle the probes' interval applies",
  );
  assert.deepEqual(running[0]?.unknown, ["ghost_1"]);
  assert.deepEqual(running[0]?.offline, ["b_1"], "an unknown channel is not offline");
  assert.equal(running[0]?.detector_error, undefined);
  assert.deepEqual(running[1]?.detector_error, {
    at: "2024-05-01T12:01:00.000Z",
    message: "HTTP 500 from the API",
  });
  assert.deepEqual(running[1]?.live, ["a_1", "b_1"]);
  assert.deepEqual(running[2]?.detector_error, running[1]?.detector_error, "kept after recovery");
  assert.deepEqual(world.probed, ["a_1", "b_1", "ghost_1"], "probes only in the failing cycle");
  assert.deepEqual(world.launches, ["a_1", "b_1"]);
  assert.deepEqual(world.launchStreams, [{ id: "id-a_1", createdAt: "T0" }, undefined]);
});

Deno.test("Poller.pollOnce() logs a hosted launch as recording in this process, a recorder with its pid", async () => {
  const messages = await capturePollLogs();
  try {
    const world = new World();
    world.users = { users: ["a_1", "b_1"], invalid: [] };
    world.live = new Set(["a_1"]);
    world.hosted = true;
    const poller = new Poller(SETTINGS, world.deps(new FakeClock(START)));
    const hosted = await poller.pollOnce(new AbortController().signal);
    assert.deepEqual(hosted.launched, [{ user: "a_1", pid: 7, log: "/logs/a_1.log" }]);
    world.hosted = false;
    world.live = new Set(["a_1", "b_1"]);
    world.locked = new Set(["a_1"]);
    await poller.pollOnce(new AbortController().signal);
    const launches = messages.filter((m) => /^(Recording|Launched)/.test(m));
    assert.deepEqual(launches, [
      "Recording a_1 in this process, output in /logs/a_1.log",
      "Launched recorder for b_1 (pid 100), output in /logs/b_1.log",
    ]);
  } finally {
    await reset();
  }
});

Deno.test("Poller says an unreadable users file and invalid lines once, not every cycle", async () => {
  const messages = await capturePollLogs();
  try {
    const world = new World();
    const invalid = Array.from({ length: 8 }, (_, i) => ({ line: i + 2, text: `bad-${i}` }));
    world.users = { users: ["a_1"], invalid };
    const poller = new Poller(SETTINGS, world.deps(new FakeClock(START)));
    for (let i = 0; i < 3; i++) await poller.pollOnce(new AbortController().signal);
    const skipping = messages.filter((m) => m.startsWith("Skipping"));
    assert.deepEqual(skipping, [
      'Skipping 8 invalid channel name(s) in /cfg/users.txt: "bad-0" (line 2), "bad-1" (line 3), ' +
      '"bad-2" (line 4), "bad-3" (line 5), "bad-4" (line 6) and 3 more',
    ]);
    const deps = world.deps(new FakeClock(START));
    const broken = new Poller(SETTINGS, {
      ...deps,
      readUsers: () => Promise.reject(new UsersFileError("Cannot read users file: a FIFO")),
    });
    for (let i = 0; i < 3; i++) {
      const report = await broken.pollOnce(new AbortController().signal);
      assert.equal(report.users, 0);
    }
    assert.equal(messages.filter((m) => m.includes("a FIFO")).length, 1);
  } finally {
    await reset();
  }
});

Deno.test("Poller backs off a channel whose recording ended for lack of space until the disk has room", async () => {
  const messages = await capturePollLogs();
  try {
    const world = new World();
    world.users = { users: ["a_1", "b_1"], invalid: [] };
    world.live = new Set(["a_1", "b_1"]);
    let room = false;
    const deps = world.deps(new FakeClock(START));
    const exits = new Map<string, (code: number) => void>();
    const poller = new Poller(SETTINGS, {
      ...deps,
      launch: async (user, stream) => {
        const child = await deps.launch(user, stream);
        return { ...child, exited: new Promise<number>((resolve) => exits.set(user, resolve)) };
      },
      diskHasRoom: () => Promise.resolve(room),
    });
    const signal = new AbortController().signal;
    await poller.pollOnce(signal);
    exits.get("a_1")!(7);
    exits.get("b_1")!(1);
    await Promise.resolve();
    for (let i = 0; i < 3; i++) {
      const report = await poller.pollOnce(signal);
      assert.deepEqual(report.skipped.filter((skip) => skip.user === "a_1"), [
        { user: "a_1", reason: "waiting for disk space" },
      ]);
    }
    // b_1 failed otherwise: relaunched at once.
    assert.deepEqual(world.launches, ["a_1", "b_1", "b_1"]);
    const waiting = messages.filter((m) => m.startsWith("Not recording"));
    assert.deepEqual(waiting, [
      "Not recording a_1 again until the record disk has room: the last recording ended for lack of space",
    ]);
    room = true;
    await poller.pollOnce(signal);
    assert.equal(world.launches.filter((u) => u === "a_1").length, 2);
    assert.ok(messages.includes("The record disk has room again: recording a_1 again"));
  } finally {
    await reset();
  }
});
