/**
 * End-to-end: `status`, `encode-daemon status`, `encode-mode status` and `stop` show the whole
 * state, readable at 80 columns. The real CLI with the binary's flags, without NO_COLOR, piped
 * and on a pseudo-terminal.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { roleFlags } from "../src/permissions.ts";
import { FileLock } from "../src/state/file_lock.ts";
import { SlotPool } from "../src/state/slot_pool.ts";
import { makeSandbox, runCli, runCliOnTerminal, type Sandbox } from "../testing/cli.ts";

const URL_TEMPLATE = "hls://http://127.0.0.1:9/live/{user}/index.m3u8";

/** A valid job file for `<record_dir>/<name>.mp4`. */
function job(sandbox: Sandbox, name: string, createdAt: string) {
  const input = join(sandbox.recordDir, `${name}.mp4`);
  return JSON.stringify({
    input,
    output: input.replace(".mp4", "_compressed.mp4"),
    created_at: createdAt,
    delete_input_on_success: false,
  });
}

/** An old `*.invalid.json`, an unreadable file an hour old, and one written just now. */
async function writeBadJobs(sandbox: Sandbox) {
  await Deno.mkdir(sandbox.jobsDir, { recursive: true });
  const hourAgo = new Date(Date.now() - 3600_000);
  for (const [name, text] of [["old.invalid.json", "{"], ["broken.json", "[1, 2"]] as const) {
    await Deno.writeTextFile(join(sandbox.jobsDir, name), text);
    await Deno.utime(join(sandbox.jobsDir, name), hourAgo, hourAgo);
  }
  await Deno.writeTextFile(join(sandbox.jobsDir, "fresh.json"), '{"input": "/x');
}

function assertFits(text: string, columns = 80) {
  for (const line of text.split("\n")) {
    assert.ok(line.length <= columns, `${line.length} columns: ${line}`);
  }
}

Deno.test("status and encode-daemon status show invalid and too-young jobs, the encoding job once, at 80 columns", async () => {
  await using sandbox = await makeSandbox({ urlTemplate: URL_TEMPLATE });
  await writeBadJobs(sandbox);
  await Deno.writeTextFile(
    join(sandbox.jobsDir, "a.json"),
    job(sandbox, "alpha_2024-05-01_10-00-00", "2024-05-01T10:30:00.000Z"),
  );
  await Deno.mkdir(join(sandbox.queueDir, "running"), { recursive: true });
  await Deno.writeTextFile(
    join(sandbox.queueDir, "running", "b.json"),
    job(sandbox, "beta_2024-05-01_09-00-00", "2024-05-01T09:30:00.000Z"),
  );
  await Deno.mkdir(sandbox.stateDir, { recursive: true });
  using _encoder = await FileLock.tryAcquire(join(sandbox.stateDir, "encoder.lock"));
  await Deno.writeTextFile(join(sandbox.stateDir, "encoder.pid"), String(Deno.pid));
  await Deno.writeTextFile(
    join(sandbox.stateDir, "poller.status.json"),
    JSON.stringify({ last_poll: new Date(2026, 0, 2, 3, 4).toISOString() }),
  );
  const started = new Date(Date.now() - 3725_000).toISOString();
  const slot = await new SlotPool(sandbox.runtimeDir, 6).tryAcquire({
    pid: Deno.pid,
    username: "gamma_with_a_long_name_1",
    started_at: started,
  });
  try {
    const json = JSON.parse((await runCli(sandbox, ["status", "--json"])).stdout);
    const names = (list: { path?: string; input?: string }[]) =>
      list.map((entry) => (entry.path ?? entry.input ?? "").split("/").at(-1));
    assert.deepEqual(names(json.queue.pending), ["a.json"]);
    assert.deepEqual(names(json.queue.encoding), ["b.json"]);
    assert.deepEqual(names(json.queue.invalid).sort(), ["broken.json", "old.invalid.json"]);
    assert.deepEqual(names(json.queue.too_young), ["fresh.json"]);
    assert.equal(
      json.queue.pending[0].input,
      join(sandbox.recordDir, "alpha_2024-05-01_10-00-00.mp4"),
      "--json keeps full paths",
    );
    assert.equal(json.recordings[0].started_at, started, "--json keeps UTC ISO");

    const human = await runCli(sandbox, ["status"]);
    assert.equal(human.code, 0, human.stderr);
    // A pipe has no width: nothing is narrowed (tests/terminal_tables_test.ts has the terminal).
    assert.match(human.stdout, /Queue: 1 pending, 0 failed, 2 invalid, 1 too young to judge/);
    assert.match(human.stdout, /│ 2024-05-01 \d\d:\d\d │ alpha_2024-05-01_10-00-00\.mp4 /);
    // A start on an earlier day (in the first hour after midnight) shows its date too.
    assert.match(human.stdout, /│ waiting │ (?:\d{4}-\d\d-\d\d )?\d\d:\d\d\s+│ 1h02m │/);
    assert.match(human.stdout, /Invalid job files[^\n]*\n[^]*jobs\/broken\.json[^]*not valid JSON/);
    assert.match(human.stdout, /maybe still being written[^]*jobs\/fresh\.json/);
    assert.ok(!human.stdout.includes(sandbox.home), "paths are relative to the record/queue dirs");
    assert.match(
      human.stdout,
      /^Poller: not running \(last poll 2026-01-02 03:04\)$/m,
      "local time",
    );

    const daemon = await runCli(sandbox, ["encode-daemon", "status"]);
    assert.equal(daemon.code, 0, daemon.stderr);
    assert.match(daemon.stdout, /Queue: 1 waiting, 0 failed, 2 invalid, 1 too young to judge/);
    const daemonJson = JSON.parse(
      (await runCli(sandbox, ["encode-daemon", "status", "--json"])).stdout,
    );
    assert.equal(daemonJson.queue_length, 1);
    assert.equal(daemonJson.invalid.length, 2);
    assert.equal(daemonJson.too_young.length, 1);

    const terminal = await runCliOnTerminal(sandbox, ["status"], { columns: 80 });
    assert.equal(terminal.code, 0, terminal.stdout);
    // deno-lint-ignore no-control-regex
    assertFits(terminal.stdout.replace(/\x1b\[[0-9;]*m/g, ""));
    assert.match(terminal.stdout, /Queue: 1 pending, 0 failed, 2 invalid, 1 too young to judge/);
  } finally {
    await slot?.release();
  }
});

Deno.test("encode-daemon run --exit-when-empty counts invalid and too-young jobs in its summary", async () => {
  await using sandbox = await makeSandbox({ urlTemplate: URL_TEMPLATE });
  await writeBadJobs(sandbox);
  const result = await runCli(sandbox, ["encode-daemon", "run", "--exit-when-empty"], {
    flags: roleFlags("encoder"),
  });
  assert.equal(result.code, 1, "an invalid job is a failed job");
  assert.equal(
    result.stdout,
    "Queue empty: 0 encoded, 0 failed, 1 invalid (moved aside), 1 too young to judge (left)\n",
  );
});

Deno.test("encode-mode status names the source of the value and refuses a non-boolean one", async () => {
  await using sandbox = await makeSandbox();
  await sandbox.writeConfig("[record]\nenable_remux = false\n");
  const file = await runCli(sandbox, ["encode-mode", "status"]);
  assert.match(file.stdout, /^Encode mode: off \(set in ".*config\.toml"\)$/m);
  const env = await runCli(sandbox, ["encode-mode", "status"], { env: { REMUX_ENABLED: "yes" } });
  assert.equal(env.code, 0, env.stderr);
  assert.match(env.stdout, /^Encode mode: on \(environment REMUX_ENABLED="yes"\)$/m);
  const refused = await runCliOnTerminal(sandbox, ["encode-mode", "status"], {
    env: { REMUX_ENABLED: "maybe" },
  });
  assert.equal(refused.code, 2, refused.stdout);
  assert.match(refused.stdout, /Encode mode: off \(set in ".*config\.toml"\)/);
  assert.match(
    refused.stdout,
    /Refused: Cannot use environment variable REMUX_ENABLED="maybe": expected true or false/,
  );
  await sandbox.writeConfig('[record]\nenable_remux = "sometimes"\n');
  const inFile = await runCli(sandbox, ["encode-mode", "status"]);
  assert.equal(inFile.code, 2);
  assert.match(inFile.stdout, /Encode mode: on \(default, not set in/);
  assert.match(
    inFile.stdout,
    /Refused: Cannot use config .*"record\.enable_remux", got "sometimes"/,
  );
});

Deno.test("stop with a slot beyond record_limit names the valid range", async () => {
  await using sandbox = await makeSandbox({ urlTemplate: URL_TEMPLATE });
  const result = await runCli(sandbox, ["stop", "99"]);
  assert.equal(result.code, 2);
  assert.match(
    result.stderr,
    /Invalid slot "99": slots are numbered 1-6 \(limits\.record_limit = 6\)/,
  );
  const narrow = await runCliOnTerminal(sandbox, ["stop", "3", "--record-limit", "2"]);
  assert.equal(narrow.code, 2, narrow.stdout);
  assert.match(narrow.stdout, /slots are numbered 1-2/);
});

Deno.test("status, encode-daemon status and doctor call a corrupt daemon status file unreadable", async () => {
  await using sandbox = await makeSandbox({ urlTemplate: URL_TEMPLATE });
  await Deno.mkdir(sandbox.stateDir, { recursive: true });
  await Deno.writeTextFile(join(sandbox.stateDir, "poller.status.json"), '{"last_poll": ');
  await Deno.writeTextFile(join(sandbox.stateDir, "encoder.status.json"), "[1, 2]");
  const status = await runCli(sandbox, ["status"]);
  assert.equal(status.code, 0, status.stderr);
  assert.equal(status.stdout.match(/^ {2}status file unreadable: /gm)?.length, 2, status.stdout);
  const json = JSON.parse((await runCli(sandbox, ["status", "--json"])).stdout);
  assert.equal(typeof json.poller.status_unreadable, "string");
  assert.equal(typeof json.encoder.status_unreadable, "string");
  const encoder = await runCli(sandbox, ["encode-daemon", "status"]);
  assert.match(encoder.stdout, /^Encoder: not running\n {2}status file unreadable: /);
  const doctor = await runCli(sandbox, ["doctor"]);
  assert.match(doctor.stdout, /warn\s+poller: not running; status file unreadable: /);
  assert.match(doctor.stdout, /warn\s+encoder: not running; status file unreadable: /);
});
