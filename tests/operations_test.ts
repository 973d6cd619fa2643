/**
 * End-to-end: the operator commands (`users`, `status`, `stop`, `clean`, `doctor`, `poller
 * stop|status`, `help`) run as the real CLI in an isolated HOME, plus `deno task install`.
 * Recording itself is exercised in poller_test.ts.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { FileLock } from "../src/state/file_lock.ts";
import { enqueueJob } from "../src/state/job_queue.ts";
import { ensureRuntimeDir } from "../src/state/runtime_dir.ts";
import { slotPaths } from "../src/state/slot_pool.ts";
import { defaultInstallPaths, install } from "../tasks/install.ts";
import { listDir, makeSandbox, runCli } from "../testing/cli.ts";

const URL_TEMPLATE = "hls://http://127.0.0.1:9/live/{user}/index.m3u8";

Deno.test("users add/remove/list keep comments and order, ignore duplicates and reject invalid names", async () => {
  await using sandbox = await makeSandbox({ urlTemplate: URL_TEMPLATE });
  const usersFile = join(sandbox.home, ".config", "twitchtool", "users.txt");
  await Deno.writeTextFile(usersFile, "# favourites\nAlpha  # weekdays\n\n# later\nbeta\n");

  const add = await runCli(sandbox, ["users", "add", "gamma", "ALPHA", "Gamma", "delta_4"]);
  assert.equal(add.code, 0, add.stderr);
  assert.match(add.stdout, /Added to .*users\.txt: gamma, delta_4/);
  assert.match(add.stdout, /Already listed: alpha, gamma/);
  assert.equal(
    await Deno.readTextFile(usersFile),
    "# favourites\nAlpha  # weekdays\n\n# later\nbeta\ngamma\ndelta_4\n",
  );

  const bad = await runCli(sandbox, ["users", "add", "epsilon", "no spaces allowed"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Invalid username "no spaces allowed"/);
  assert.ok(!(await Deno.readTextFile(usersFile)).includes("epsilon"), "nothing half-applied");

  const remove = await runCli(sandbox, ["users", "remove", "BETA", "zeta"]);
  assert.equal(remove.code, 0, remove.stderr);
  assert.match(remove.stdout, /Removed from .*: BETA/);
  assert.match(remove.stdout, /Not listed: zeta/);
  assert.equal(
    await Deno.readTextFile(usersFile),
    "# favourites\nAlpha  # weekdays\n\n# later\ngamma\ndelta_4\n",
  );

  const list = await runCli(sandbox, ["users", "list"]);
  assert.equal(list.code, 0, list.stderr);
  assert.equal(list.stdout, "alpha\ngamma\ndelta_4\n");

  const other = join(sandbox.home, "elsewhere", "list.txt");
  const elsewhere = await runCli(sandbox, ["users", "add", "omega", "--users-file", other]);
  assert.equal(elsewhere.code, 0, elsewhere.stderr);
  assert.equal(await Deno.readTextFile(other), "omega\n");
  assert.deepEqual(
    (await listDir(join(sandbox.home, ".config", "twitchtool"))).sort(),
    ["config.toml", "users.txt"],
    "atomic rewrite leaves no temp files",
  );
});

Deno.test("stop refuses an invalid or empty slot with a clear message", async () => {
  await using sandbox = await makeSandbox({ urlTemplate: URL_TEMPLATE });
  const invalid = await runCli(sandbox, ["stop", "first"]);
  assert.equal(invalid.code, 2);
  assert.match(invalid.stderr, /Invalid slot "first": expected a slot number/);
  const zero = await runCli(sandbox, ["stop", "0"]);
  assert.equal(zero.code, 2);
  const empty = await runCli(sandbox, ["stop", "3"]);
  assert.equal(empty.code, 1);
  assert.match(empty.stderr, /Slot "3" is empty: nothing to stop \(slots in use: none\)/);
  const missing = await runCli(sandbox, ["stop"]);
  assert.equal(missing.code, 2);
});

Deno.test("clean removes stale owner and pid files, reports them, and spares held ones", async () => {
  await using sandbox = await makeSandbox({ urlTemplate: URL_TEMPLATE });
  await ensureRuntimeDir(sandbox.runtimeDir);
  await Deno.mkdir(sandbox.stateDir, { recursive: true });
  const stale = slotPaths(sandbox.runtimeDir, 2).owner;
  await Deno.writeTextFile(stale, JSON.stringify({ pid: 999999, username: "ghost" }));
  const held = slotPaths(sandbox.runtimeDir, 1);
  const lock = await FileLock.tryAcquire(held.lock);
  try {
    await Deno.writeTextFile(
      held.owner,
      JSON.stringify({ pid: Deno.pid, username: "alive", started_at: "x", state: "capturing" }),
    );
    const pidFile = join(sandbox.stateDir, "poller.pid");
    await Deno.writeTextFile(pidFile, "999999");

    const doctor = await runCli(sandbox, ["doctor"]);
    assert.match(doctor.stdout, /warn\s+stale state: .*slot2\.owner.*poller\.pid/);

    const clean = await runCli(sandbox, ["clean"]);
    assert.equal(clean.code, 0, clean.stderr);
    assert.match(clean.stdout, /Removed 2 stale file\(s\):/);
    assert.ok(clean.stdout.includes(stale) && clean.stdout.includes(pidFile), clean.stdout);
    assert.deepEqual(await listDir(sandbox.runtimeDir), ["slot1", "slot1.owner", "slot2", "users"]);
    assert.deepEqual((await listDir(sandbox.stateDir)).includes("poller.pid"), false);

    const again = await runCli(sandbox, ["clean"]);
    assert.equal(again.stdout, "Nothing stale found\n");
  } finally {
    lock?.release();
  }
});

Deno.test("doctor prints one line per check, warns on streamlink < 6.0 and exits 1 on a failure", async () => {
  await using sandbox = await makeSandbox({ urlTemplate: URL_TEMPLATE });
  const ok = await runCli(sandbox, ["doctor"]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  const lines = ok.stdout.trim().split("\n");
  for (const line of lines.slice(0, -1)) {
    assert.match(line, /^(ok {2}|note|warn|FAIL) {2}[\w ]+: /, line);
  }
  const installed = new TextDecoder().decode(
    (await new Deno.Command("streamlink", { args: ["--version"], stdout: "piped" }).output())
      .stdout,
  ).trim().split(" ")[1]!;
  if (Number(installed.split(".")[0]) < 6) {
    assert.match(
      ok.stdout,
      new RegExp(`^warn {2}streamlink: ${installed} .*older than 6\\.0`, "m"),
    );
  } else {
    assert.match(ok.stdout, new RegExp(`^ok {4}streamlink: ${installed} `, "m"));
  }
  for (const tool of ["ffmpeg", "ffprobe", "flock"]) {
    assert.match(ok.stdout, new RegExp(`^ok {4}${tool}: \\d`, "m"));
  }
  for (const folder of ["record", "temp", "queue", "logs", "runtime"]) {
    assert.match(ok.stdout, new RegExp(`^(ok {2}|note) {2}${folder} folder: `, "m"));
  }
  assert.doesNotMatch(ok.stdout, /^warn {2}\w+ folder: /m, "a folder made on first use is a note");
  assert.match(ok.stdout, /^ok {4}config: .*config\.toml parsed/m);
  assert.match(ok.stdout, /^ok {4}disk space: /m);
  assert.match(lines.at(-1)!, /^\d+ ok, \d+ note\(s\), \d+ warning\(s\), 0 failure\(s\)$/);

  await sandbox.writeConfig(
    `[paths]\nruntime_dir = "${sandbox.runtimeDir}"\n[storage]\ndisk_free_min_gb = 1000000000\n`,
  );
  const low = await runCli(sandbox, ["doctor", "--offline"]);
  assert.equal(low.code, 1);
  assert.match(low.stdout, /^FAIL {2}disk space: .*recordings will not start/m);
  assert.match(low.stdout, /, 1 failure\(s\)\n$/);

  await sandbox.writeConfig("[limits]\nrecord_limit = \n");
  const broken = await runCli(sandbox, ["doctor", "--offline"]);
  assert.equal(broken.code, 1);
  assert.match(broken.stdout, /^FAIL {2}config: Cannot parse config /m);
});

Deno.test("status --json reports the encoder and the queue from their files, and tables otherwise", async () => {
  await using sandbox = await makeSandbox({ urlTemplate: URL_TEMPLATE });
  await Deno.mkdir(sandbox.stateDir, { recursive: true });
  const input = join(sandbox.recordDir, "alpha_2024-05-01_10-00-00.mp4");
  await enqueueJob(sandbox.queueDir, {
    input,
    output: input.replace(".mp4", "_compressed.mp4"),
    created_at: "2024-05-01T10:30:00.000Z",
    delete_input_on_success: false,
  });
  const idle = JSON.parse((await runCli(sandbox, ["status", "--json"])).stdout);
  assert.deepEqual(Object.keys(idle).sort(), [
    "encoder",
    "notifications",
    "poller",
    "queue",
    "record_limit",
    "recordings",
    "retention",
    "uploads",
  ]);
  assert.deepEqual(idle.recordings, []);
  assert.equal(idle.poller.running, false);
  assert.equal(idle.poller.pid, null);
  assert.equal(idle.encoder.running, false);
  assert.equal(idle.encoder.current_job, null);
  assert.deepEqual(
    idle.queue.pending.map((j: Record<string, unknown>) => [j.input, j.output, j.created_at]),
    [[input, input.replace(".mp4", "_compressed.mp4"), "2024-05-01T10:30:00.000Z"]],
  );
  assert.deepEqual(idle.queue.failed, []);

  const lock = await FileLock.tryAcquire(join(sandbox.stateDir, "encoder.lock"));
  try {
    await Deno.writeTextFile(join(sandbox.stateDir, "encoder.pid"), String(Deno.pid));
    await Deno.writeTextFile(
      join(sandbox.stateDir, "encoder.status.json"),
      JSON.stringify({
        pid: Deno.pid,
        updated_at: new Date().toISOString(),
        started_at: new Date().toISOString(),
        state: "encoding",
        paused: false,
        queue_length: 0,
        current_job: {
          job: "x.json",
          input,
          output: "o.mp4",
          percent: 42.5,
          speed: 1.5,
          eta_seconds: 90,
        },
      }),
    );
    const busy = JSON.parse((await runCli(sandbox, ["status", "--json"])).stdout);
    assert.equal(busy.encoder.running, true);
    assert.equal(busy.encoder.pid, Deno.pid);
    assert.equal(busy.encoder.current_job.percent, 42.5);

    const human = await runCli(sandbox, ["status"]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /Recordings \(0\/6 slots in use\)/);
    assert.match(human.stdout, /Poller: not running/);
    assert.match(
      human.stdout,
      /Encoder: encoding \(pid \d+\)\n {2}encoding .*alpha.*: 42\.5%, 1\.5x, about 1m30s left/,
    );
    assert.match(human.stdout, /Queue: 1 pending, 0 failed/);
    assert.match(human.stdout, /created.*input.*output/);
  } finally {
    lock?.release();
  }
});

Deno.test("poller run refuses a download_cmd that names a shell or uses shell operators", async () => {
  await using sandbox = await makeSandbox({ urlTemplate: URL_TEMPLATE });
  for (const command of ["sh -c 'twitchtool record'", "twitchtool record && rm -rf ~"]) {
    const result = await runCli(sandbox, ["poller", "run", "--download-cmd", command]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /Cannot use download_cmd .*the poller never runs a shell/);
    assert.match(result.stderr, / \(from flag --download-cmd\): /, "names where it came from");
  }
  const env = await runCli(sandbox, ["poller", "run"], { env: { DOWNLOAD_CMD: "bash" } });
  assert.equal(env.code, 2);
  assert.match(
    env.stderr,
    /Cannot use download_cmd "bash" \(from environment variable DOWNLOAD_CMD\): /,
  );
  assert.deepEqual(await listDir(sandbox.stateDir), [], "no lock or status written");
});

Deno.test("poller stop and poller status when no poller runs", async () => {
  await using sandbox = await makeSandbox({ urlTemplate: URL_TEMPLATE });
  const stop = await runCli(sandbox, ["poller", "stop"]);
  assert.equal(stop.code, 0, stop.stderr);
  assert.equal(stop.stdout, "The poller is not running\n");
  const status = await runCli(sandbox, ["poller", "status", "--json"]);
  assert.equal(JSON.parse(status.stdout).running, false);
  const bad = await runCli(sandbox, ["poller", "stop", "--timeout", "soon"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Invalid value "soon" for --timeout/);
});

Deno.test("help, --help and --version describe every operator command", async () => {
  await using sandbox = await makeSandbox({ urlTemplate: URL_TEMPLATE });
  const top = await runCli(sandbox, ["--help"]);
  assert.equal(top.code, 0);
  for (const command of ["poller", "status", "stop", "clean", "users", "doctor", "help"]) {
    assert.match(top.stdout, new RegExp(`^  ${command}\\b`, "m"), command);
  }
  const poller = await runCli(sandbox, ["help", "poller"]);
  assert.equal(poller.code, 0);
  assert.match(poller.stdout, /Usage: twitchtool poller/);
  for (const sub of ["run", "stop", "status"]) {
    assert.match(poller.stdout, new RegExp(`^  ${sub} `, "m"));
  }
  const run = await runCli(sandbox, ["poller", "run", "--help"]);
  for (
    const option of [
      "--users-file",
      "--interval",
      "--quality",
      "--download-cmd",
      "--timeout",
      "--probe-concurrency",
      "--record-limit",
      "--logs-dir",
    ]
  ) {
    assert.ok(run.stdout.includes(option), option);
  }
  const users = await runCli(sandbox, ["help", "users"]);
  assert.match(users.stdout, /add <names\.\.\.>/);
  const version = await runCli(sandbox, ["--version"]);
  assert.equal(version.stdout.trim(), "0.1.0");
});

Deno.test("deno task install copies the binary and the units, and explains a missing binary", async () => {
  const root = await Deno.makeTempDir();
  try {
    const env = (name: string) => ({ HOME: join(root, "home") } as Record<string, string>)[name];
    const repo = defaultInstallPaths(env);
    assert.equal(repo.binDir, join(root, "home", ".local", "bin"));
    assert.equal(repo.unitDir, join(root, "home", ".config", "systemd", "user"));
    const paths = { ...repo, binary: join(root, "dist", "twitchtool") };

    await assert.rejects(install(paths), /run deno task compile first/);

    await Deno.mkdir(join(root, "dist"));
    await Deno.writeTextFile(paths.binary, "#!/bin/true\n");
    const installed = await install(paths);
    assert.deepEqual(installed, [
      join(paths.binDir, "twitchtool"),
      join(paths.unitDir, "twitch-poller.service"),
      join(paths.unitDir, "twitch-encoderd.service"),
    ]);
    assert.equal((await Deno.stat(installed[0]!)).mode! & 0o777, 0o755);
    const unit = await Deno.readTextFile(installed[1]!);
    assert.match(unit, /^ExecStart=%h\/\.local\/bin\/twitchtool poller run$/m);
    assert.match(unit, /^KillMode=process$/m);
    assert.match(unit, /^Restart=always$/m);
    assert.match(unit, /^Environment=PATH=%h\/\.local\/bin:/m);
    const encoder = await Deno.readTextFile(installed[2]!);
    assert.match(encoder, /^KillMode=control-group$/m);
    assert.match(encoder, /^ExecStart=%h\/\.local\/bin\/twitchtool encode-daemon run$/m);
    assert.deepEqual(await listDir(paths.binDir), ["twitchtool"], "no temp file left");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("status shows a recorder that released its slot and is finalizing", async () => {
  await using sandbox = await makeSandbox({ urlTemplate: "hls://http://127.0.0.1:9/{user}" });
  await ensureRuntimeDir(sandbox.runtimeDir);
  await Deno.mkdir(sandbox.tempDir, { recursive: true });
  const base = "finisher_2026-05-06_07-08-09";
  await Deno.writeTextFile(join(sandbox.tempDir, `${base}_part01.ts`), "x".repeat(1000));
  await Deno.writeTextFile(
    join(sandbox.tempDir, `${base}.session.json`),
    JSON.stringify({
      user: "finisher",
      base,
      pid: Deno.pid,
      started_at: "2026-05-06T07:08:09.000Z",
      phase: "capturing",
      parts: [join(sandbox.tempDir, `${base}_part01.ts`)],
      enable_remux: true,
      delete_ts_after_remux: true,
      delete_input_on_success: false,
    }),
  );
  const json = async () => JSON.parse((await runCli(sandbox, ["status", "--json"])).stdout);
  assert.deepEqual((await json()).recordings, [], "no channel lock held: an abandoned session");

  using _lock = await FileLock.tryAcquire(join(sandbox.runtimeDir, "users", "finisher.lock"));
  assert.deepEqual((await json()).recordings, [{
    slot: null,
    user: "finisher",
    pid: Deno.pid,
    started_at: "2026-05-06T07:08:09.000Z",
    state: "finalizing",
    hosted: true,
    bytes: 1000,
    live_since: null,
    late_seconds: null,
    coverage: null,
    chat_messages: null,
  }]);
});
