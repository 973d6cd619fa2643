import assert from "node:assert/strict";
import {
  daemonPaths,
  type EncoderStatus,
  parseDaemonStatus,
  type PollerStatus,
  readDaemonStatus,
  writeDaemonStatus,
} from "./daemon_status.ts";

async function withStateDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const poller: PollerStatus = {
  state: "running",
  started_at: "2026-01-02T03:04:05.000Z",
  last_poll: "2026-01-02T03:09:05.000Z",
  next_poll: "2026-01-02T03:14:05.000Z",
  interval_seconds: 300,
  record_limit: 6,
  users_file: "/home/u/.config/twitchtool/users.txt",
  detector: "gql",
  users: 3,
  invalid: [{ line: 2, text: "not a name!" }],
  live: ["alpha", "beta"],
  offline: ["gamma"],
  timed_out: [],
  probe_errors: [],
  unknown: [],
  launched: [{ user: "alpha", pid: 42, log: "/logs/alpha.log" }],
  skipped: [{ user: "beta", reason: "record_limit reached" }],
  active: 1,
  detector_error: { at: "2026-01-02T03:00:00.000Z", message: "HTTP 500" },
};

const encoder: EncoderStatus = {
  started_at: "2026-01-02T03:04:05.000Z",
  state: "paused",
  paused: true,
  queue_length: 2,
  current_job: {
    job: "/q/running/a.json",
    input: "/rec/a.mp4",
    output: "/rec/a_compressed.mp4",
    percent: 41.5,
    speed: 1.8,
    eta_seconds: 95,
    ffmpeg_pid: 1240,
  },
};

Deno.test("readDaemonStatus() reads back what writeDaemonStatus() wrote, stamped with pid and time", async () => {
  await withStateDir(async (dir) => {
    await writeDaemonStatus(dir, "poller", poller);
    await writeDaemonStatus(dir, "encoder", encoder);
    const readPoller = await readDaemonStatus(dir, "poller");
    assert.equal(readPoller.kind, "ok");
    if (readPoller.kind !== "ok") return;
    const { pid, updated_at, ...rest } = readPoller.status;
    assert.equal(pid, Deno.pid);
    assert.ok(Number.isFinite(Date.parse(updated_at ?? "")));
    assert.deepEqual(rest, poller);
    const readEncoder = await readDaemonStatus(dir, "encoder");
    assert.equal(readEncoder.kind, "ok");
    if (readEncoder.kind !== "ok") return;
    assert.deepEqual({ ...readEncoder.status, pid: 0, updated_at: "" }, {
      pid: 0,
      updated_at: "",
      ...encoder,
    });
  });
});

Deno.test("readDaemonStatus() says missing when the daemon never wrote a status", async () => {
  await withStateDir(async (dir) => {
    assert.deepEqual(await readDaemonStatus(dir, "poller"), { kind: "missing" });
    assert.deepEqual(await readDaemonStatus(dir, "encoder"), { kind: "missing" });
  });
});

Deno.test("parseDaemonStatus() accepts partial files: a starting poller, a job without its ffmpeg pid", () => {
  assert.deepEqual(
    parseDaemonStatus("poller", { last_poll: "2026-01-02T03:04:00.000Z" }),
    { kind: "ok", status: { last_poll: "2026-01-02T03:04:00.000Z" } },
  );
  assert.deepEqual(
    parseDaemonStatus("poller", { state: "starting", last_poll: null, next_poll: null }),
    { kind: "ok", status: { state: "starting", last_poll: null, next_poll: null } },
  );
  const parsed = parseDaemonStatus("encoder", {
    state: "encoding",
    current_job: { job: "x.json", input: "/a.mp4", output: "/o.mp4", percent: 42.5 },
    some_future_field: true,
  });
  assert.deepEqual(parsed, {
    kind: "ok",
    status: {
      state: "encoding",
      current_job: {
        job: "x.json",
        input: "/a.mp4",
        output: "/o.mp4",
        percent: 42.5,
        speed: null,
        eta_seconds: null,
        ffmpeg_pid: null,
      },
    },
  });
});

Deno.test("parseDaemonStatus() calls corrupt and foreign files unreadable, naming the field", () => {
  const reason = (name: "poller" | "encoder", value: unknown) => {
    const read = parseDaemonStatus(name, value);
    assert.equal(read.kind, "unreadable", JSON.stringify(value));
    return read.kind === "unreadable" ? read.reason : "";
  };
  assert.equal(reason("poller", [1, 2]), "the file is not an object");
  assert.equal(reason("encoder", 1234), "the file is not an object");
  assert.equal(reason("poller", null), "the file is not an object");
  assert.equal(reason("poller", { live: "alpha" }), `"live" is not a list`);
  assert.equal(reason("poller", { live: ["alpha", 3] }), `"live[1]" is not a string`);
  assert.equal(
    reason("poller", { launched: [{ user: "alpha", log: "/l" }] }),
    `"launched[0].pid" is missing`,
  );
  assert.equal(
    reason("poller", { detector_error: { at: 5, message: "x" } }),
    `"detector_error.at" is not a string`,
  );
  assert.equal(
    reason("poller", { state: "dancing" }),
    `"state" is not one of starting, running, stopped`,
  );
  assert.equal(reason("encoder", { paused: "yes" }), `"paused" is not true or false`);
  assert.equal(
    reason("encoder", { current_job: { job: "x", input: "/a", output: "/b", percent: "42" } }),
    `"current_job.percent" is not a number`,
  );
  assert.equal(reason("encoder", { current_job: "x" }), `"current_job" is not an object`);
});

Deno.test("readDaemonStatus() calls a file that is not JSON unreadable instead of throwing", async () => {
  await withStateDir(async (dir) => {
    await Deno.writeTextFile(daemonPaths(dir, "encoder").status, '{"state": "idle", "pau');
    const read = await readDaemonStatus(dir, "encoder");
    assert.equal(read.kind, "unreadable");
  });
});
