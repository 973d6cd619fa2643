/**
 * End-to-end retention on a real small filesystem (a tmpfs mounted by the test, so it needs
 * root): twitchtool's own old recordings of several channels, one a pending encode job names,
 * and files twitchtool did not write. `clean --retention` deletes the oldest of its own first and
 * nothing else; a recording that needs room gets it; when nothing more may go, the capture stops
 * with a `disk_low` notification and `status` says why.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  collect,
  defaultConfig,
  listDir,
  makeSandbox,
  recordingsOf,
  runCli,
  type Sandbox,
  spawnCli,
  statusJson,
} from "../testing/cli.ts";
import { startHlsServer } from "../testing/hls_server.ts";
import { startNotifySink } from "../testing/notify_sink.ts";
import { eventually } from "../testing/eventually.ts";
import { canMountTmpfs, mountTmpfs } from "../testing/tmpfs.ts";
import { formatBytes } from "../src/util/disk_space.ts";

const MIB = 1024 * 1024;

/** Own deliverables (name → MiB), oldest broadcast first. */
const OWN: Record<string, number> = {
  "alice_2026-01-01_10-00-00.mp4": 3,
  "alice_2026-01-01_10-00-00_compressed.mp4": 1,
  "bob_2026-01-02_10-00-00.mp4": 3, // a pending encode job's input
  "carol_2026-01-03_10-00-00.ts": 3,
  "alice_2026-01-04_10-00-00.mp4": 3,
  "bob_2026-01-05_10-00-00.mp4": 3,
};
/** Files twitchtool did not write, whatever their age or name. */
const FOREIGN: Record<string, number> = {
  "holiday.mp4": 3,
  "alice_2026-01-01_10-00-00.mkv": 1,
  "archive/alice_2025-01-01_10-00-00.mp4": 1,
};

async function fill(recordDir: string, files: Record<string, number>) {
  for (const [name, mib] of Object.entries(files)) {
    const path = join(recordDir, name);
    await Deno.mkdir(join(path, ".."), { recursive: true });
    await Deno.writeFile(path, new Uint8Array(mib * MIB).fill(7));
  }
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

async function writeJob(sandbox: Sandbox, input: string) {
  await Deno.mkdir(sandbox.jobsDir, { recursive: true });
  await Deno.writeTextFile(
    join(sandbox.jobsDir, "20260102T100000Z_bob.json"),
    JSON.stringify({
      input,
      output: input.replace(/\.mp4$/, "_compressed.mp4"),
      created_at: "2026-01-02T10:00:00.000Z",
      delete_input_on_success: false,
    }),
  );
}

Deno.test({
  name:
    "retention deletes the oldest of twitchtool's own recordings first, never a job's input or a foreign file; a recording that needs room gets it",
  ignore: !(await canMountTmpfs()),
  fn: async () => {
    const server = await startHlsServer({ endGraceMs: 1200 });
    await using sink = startNotifySink();
    await using sandbox = await makeSandbox();
    await using _disk = await mountTmpfs(sandbox.recordDir, "24m");
    try {
      await fill(sandbox.recordDir, { ...OWN, ...FOREIGN });
      const r = (name: string) => join(sandbox.recordDir, name);
      await writeJob(sandbox, r("bob_2026-01-02_10-00-00.mp4"));
      const config = (diskFreeMin: number) =>
        defaultConfig(sandbox, server.urlTemplate).replace(
          "disk_free_min_bytes = 1048576",
          `disk_free_min_bytes = ${diskFreeMin}`,
        ) +
        `\n[notify]\nurls = ["json://127.0.0.1:${sink.port}/hook"]\ngive_up_after = 5\n` +
        `\n[retention]\nmin_free_bytes = ${Math.round(9.5 * MIB)}\n`;
      await sandbox.writeConfig(config(MIB));
      const before = await listDir(sandbox.recordDir);

      const dry = await runCli(sandbox, ["clean", "--retention", "--dry-run"]);
      assert.equal(dry.code, 0, dry.stderr);
      const first = [
        "alice_2026-01-01_10-00-00.mp4",
        "alice_2026-01-01_10-00-00_compressed.mp4",
        "carol_2026-01-03_10-00-00.ts",
      ];
      assert.match(dry.stdout, /Would delete 3 file\(s\), 7\.0 MiB/);
      for (const name of first) assert.ok(dry.stdout.includes(r(name)), dry.stdout);
      assert.deepEqual(await listDir(sandbox.recordDir), before, "a dry run deletes nothing");

      const clean = await runCli(sandbox, ["clean", "--retention"]);
      assert.equal(clean.code, 0, clean.stderr);
      for (const name of first) assert.ok(!(await exists(r(name))), `${name} kept`);
      for (const name of Object.keys(OWN).filter((n) => !first.includes(n))) {
        assert.equal((await Deno.stat(r(name))).size, OWN[name]! * MIB, `${name} touched`);
      }
      for (const [name, mib] of Object.entries(FOREIGN)) {
        assert.equal((await Deno.stat(r(name))).size, mib * MIB, `${name} touched`);
      }
      const logged = clean.stderr.split("\n").filter((l) => /Retention deleted /.test(l));
      assert.equal(logged.length, 3, clean.stderr);
      const counted = (await statusJson(sandbox)).retention;
      assert.deepEqual([counted.deleted_files, counted.deleted_bytes], [3, 7 * MIB]);
      const deletedEvents = () => sink.json("/hook").filter((m) => m.event === "retention_deleted");
      assert.deepEqual(deletedEvents()[0]!.files, first.map(r));

      // ~10 MiB free now; a recording asking for 15 MiB gets it from the two oldest left (the
      // job's input stays), then stops once it wrote ~1 MiB, nothing more being deletable.
      await sandbox.writeConfig(config(15 * MIB));
      server.goLive("dave");
      const result = await collect(spawnCli(sandbox, ["record", "dave"]));
      assert.equal(result.code, 7, result.stderr);
      for (const name of ["alice_2026-01-04_10-00-00.mp4", "bob_2026-01-05_10-00-00.mp4"]) {
        assert.ok(!(await exists(r(name))), `${name} kept`);
      }
      assert.ok(await exists(r("bob_2026-01-02_10-00-00.mp4")), "the job's input was deleted");
      for (const name of Object.keys(FOREIGN)) assert.ok(await exists(r(name)), name);
      // One video (its info.json sidecar lies beside it).
      const dave = (await listDir(sandbox.recordDir)).filter((n) =>
        n.startsWith("dave_") && /\.(mp4|ts)$/.test(n)
      );
      assert.equal(dave.length, 1, `${dave}`);
      assert.ok((await Deno.stat(r(dave[0]!))).size > 0);

      const events = sink.json("/hook").map((m) => m.event);
      assert.deepEqual(events.filter((e) => e === "disk_low"), ["disk_low"]);
      assert.deepEqual(events.filter((e) => e === "recording_failed"), ["recording_failed"]);
      assert.ok(events.includes("recording_started"), `${events}`);
      assert.equal(deletedEvents().length, 2);
      const status = (await statusJson(sandbox)).retention;
      assert.equal(status.deleted_files, 5);
      assert.equal(status.last_low_disk?.channel, "dave");
      assert.match(status.last_low_disk?.detail ?? "", /below disk_free_min/);
      const text = await runCli(sandbox, ["status"]);
      assert.match(text.stdout, /Retention: deleted 5 file\(s\)/);
      assert.match(text.stdout, /Last stop for lack of space .*: only .* free/);
    } finally {
      await server.close();
    }
  },
});

/** What `df` says is available on the filesystem holding `path`, in bytes. */
async function dfAvailable(path: string): Promise<number> {
  const output = await new Deno.Command("df", { args: ["-B1", "--output=avail", path] }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  return Number(new TextDecoder().decode(output.stdout).trim().split("\n").at(-1));
}

Deno.test({
  name:
    "retention counts the free space it measures: a recording hard-linked elsewhere frees nothing, so the next one goes too",
  ignore: !(await canMountTmpfs()),
  fn: async () => {
    const server = await startHlsServer({ endGraceMs: 1200 });
    await using sandbox = await makeSandbox();
    await using _disk = await mountTmpfs(sandbox.recordDir, "40m");
    try {
      const r = (name: string) => join(sandbox.recordDir, name);
      await fill(sandbox.recordDir, {
        "alice_2026-01-01_10-00-00.mp4": 4,
        "bob_2026-01-02_10-00-00.mp4": 4,
        "carol_2026-01-03_10-00-00.mp4": 4,
        "erin_2026-01-04_10-00-00.mp4": 8,
        "holiday.mp4": 16,
      });
      // The user's library keeps its own name for the oldest recording.
      await Deno.mkdir(r("library"));
      await Deno.link(r("alice_2026-01-01_10-00-00.mp4"), r("library/alice.mp4"));
      const config = (diskFreeMin: number) =>
        defaultConfig(sandbox, server.urlTemplate).replace(
          "disk_free_min_bytes = 1048576",
          `disk_free_min_bytes = ${diskFreeMin}`,
        ) + `\n[retention]\nmin_free_bytes = ${6 * MIB}\n`;
      await sandbox.writeConfig(config(MIB));
      assert.ok(await dfAvailable(sandbox.recordDir) < 6 * MIB);

      const dry = await runCli(sandbox, ["clean", "--retention", "--dry-run"]);
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stdout, /an estimate/, dry.stdout);
      // The estimate knows that a file with other hard links frees nothing.
      assert.ok(dry.stdout.includes(r("bob_2026-01-02_10-00-00.mp4")), dry.stdout);
      assert.ok(!dry.stdout.includes(r("carol_2026-01-03_10-00-00.mp4")), dry.stdout);

      const clean = await runCli(sandbox, ["clean", "--retention"]);
      assert.equal(clean.code, 0, clean.stderr);
      assert.ok(!(await exists(r("alice_2026-01-01_10-00-00.mp4"))), clean.stdout);
      assert.ok(!(await exists(r("bob_2026-01-02_10-00-00.mp4"))), clean.stdout);
      assert.ok(await exists(r("carol_2026-01-03_10-00-00.mp4")), clean.stdout);
      assert.equal((await Deno.stat(r("library/alice.mp4"))).size, 4 * MIB);
      const available = await dfAvailable(sandbox.recordDir);
      assert.ok(available >= 6 * MIB, `${available}`);
      const shown = /free: .* -> (\d+\.\d \w+)/.exec(clean.stdout)?.[1];
      assert.equal(shown, formatBytes(available), clean.stdout);

      // A recording that needs 10 MiB: the hard-linked carol frees nothing, erin makes the room.
      await Deno.link(r("carol_2026-01-03_10-00-00.mp4"), r("library/carol.mp4"));
      await sandbox.writeConfig(config(10 * MIB));
      server.goLive("dave");
      const recorder = collect(spawnCli(sandbox, ["record", "dave"]));
      let exited = false;
      recorder.then(() => exited = true, () => exited = true);
      await eventually("dave capturing, or the recorder refused", async () => {
        const status = await statusJson(sandbox);
        return exited ||
          status.recordings.some((r) => r.user === "dave" && r.state === "capturing");
      });
      server.end("dave");
      const result = await recorder;
      assert.equal(result.code, 0, result.stderr);
      assert.ok(!(await exists(r("erin_2026-01-04_10-00-00.mp4"))), "erin kept");
      assert.ok(await exists(r("holiday.mp4")));
      assert.equal((await recordingsOf(sandbox.recordDir, "dave")).length, 1);
    } finally {
      await server.close();
    }
  },
});

Deno.test("retention keeps a job's input written as <record_dir>/./x.mp4", async () => {
  await using sandbox = await makeSandbox();
  await fill(sandbox.recordDir, {
    "alice_2026-01-01_10-00-00.mp4": 1,
    "bob_2026-01-02_10-00-00.mp4": 1,
  });
  // Written by hand: join() would drop the "./".
  await writeJob(sandbox, `${sandbox.recordDir}/./bob_2026-01-02_10-00-00.mp4`);
  await sandbox.writeConfig(
    defaultConfig(sandbox, "hls://127.0.0.1:9/{user}") + "\n[retention]\nmax_age_days = 1\n",
  );
  const clean = await runCli(sandbox, ["clean", "--retention"]);
  assert.equal(clean.code, 0, clean.stderr);
  assert.ok(!(await exists(join(sandbox.recordDir, "alice_2026-01-01_10-00-00.mp4"))));
  assert.ok(
    await exists(join(sandbox.recordDir, "bob_2026-01-02_10-00-00.mp4")),
    `the job's input was deleted: ${clean.stdout}`,
  );
});

Deno.test("retention does not plan a job recorded through a symlinked output dir", async () => {
  await using sandbox = await makeSandbox();
  await fill(sandbox.recordDir, {
    "alice_2026-01-01_10-00-00.mp4": 1,
    "bob_2026-01-02_10-00-00.mp4": 1,
  });
  const linked = join(sandbox.home, "videos-link");
  await Deno.symlink(sandbox.recordDir, linked);
  await writeJob(sandbox, join(linked, "bob_2026-01-02_10-00-00.mp4"));
  await sandbox.writeConfig(
    defaultConfig(sandbox, "hls://127.0.0.1:9/{user}") + "\n[retention]\nmax_age_days = 1\n",
  );
  const dry = await runCli(sandbox, ["clean", "--retention", "--dry-run"]);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /Would delete 1 file\(s\)/);
  assert.ok(dry.stdout.includes("alice_2026-01-01_10-00-00.mp4"), dry.stdout);
  assert.ok(!dry.stdout.includes("bob_2026-01-02_10-00-00.mp4"), dry.stdout);
});
