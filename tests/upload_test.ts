/**
 * Uploads end to end: the real CLI (`upload run`, `upload status`, `encode-daemon run`), real
 * rclone, and real servers on loopback (`rclone serve webdav` with a password, and a `local`
 * remote). What arrives is compared byte for byte (sha256) with what was recorded.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { queueUploads, type UploadSettings } from "../src/upload/upload_settings.ts";
import { readUploaded } from "../src/state/upload_queue.ts";
import { makeSandbox, runCli, runCliOnTerminal, type Sandbox, spawnCli } from "../testing/cli.ts";
import { writeCoverageRecord } from "../src/state/coverage_record.ts";
import { makeClip, writeJob } from "../testing/encode_clips.ts";
import { eventually } from "../testing/eventually.ts";
import { processesWith } from "../testing/processes.ts";
import {
  type WebdavSandbox,
  type WebdavServer,
  withWebdavSandbox,
} from "../testing/webdav_server.ts";
import { canMountTmpfs } from "../testing/tmpfs.ts";
import { dumpDom, findChromium } from "../testing/chromium.ts";
import { freePort } from "../testing/raw_http.ts";
import { loadConfig } from "../src/config/load_config.ts";
import { startStatusWeb } from "../src/web/start_status_web.ts";
import type { PageData } from "../src/web/page_data.ts";
import { startNotifySink } from "../testing/notify_sink.ts";

const HAS_RCLONE = await new Deno.Command("rclone", {
  args: ["version"],
  stdout: "null",
  stderr: "null",
}).output().then((out) => out.success, () => false);

const BASE = "alice_2026-12-07_10-00-00";
const PASSWORD = "Sup3r-secret-dav-pass";

async function sha256(path: string): Promise<string> {
  return createHash("sha256").update(await Deno.readFile(path)).digest("hex");
}

async function md5(path: string): Promise<string> {
  return createHash("md5").update(await Deno.readFile(path)).digest("hex");
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** A delivered recording with its info sidecar in the sandbox's record dir. */
async function recording(sb: Sandbox, seconds = 2): Promise<{ mp4: string; info: string }> {
  await Deno.mkdir(sb.recordDir, { recursive: true });
  const mp4 = await makeClip(join(sb.recordDir, `${BASE}.mp4`), {
    seconds,
    width: 320,
    height: 180,
  });
  const info = join(sb.recordDir, `${BASE}.info.json`);
  await Deno.writeTextFile(info, JSON.stringify({ user: "alice", title: "test" }));
  return { mp4, info };
}

/** Queues files as finishing a session does (same function, same settings shape). */
async function queue(sb: Sandbox, files: string[], what = ["recording", "compressed", "info"]) {
  const settings: UploadSettings = {
    remote: "unused:",
    deleteLocal: false,
    what,
    pathTemplate: "{user}/{file}",
    extraArgs: [],
    host: "test",
  };
  await queueUploads(settings, sb.queueDir, "alice", files, new Date());
}

async function writeUploadConfig(sb: Sandbox, upload: string): Promise<void> {
  await sb.writeConfig(`[paths]
runtime_dir = "${sb.runtimeDir}"

[storage]
disk_free_min_bytes = 1048576

[encode_daemon]
preset = "ultrafast"

[upload]
${upload}
`);
}

/**
 * A sandbox with a WebDAV server on loopback (password {@link PASSWORD}) for `test`, on a small
 * tmpfs with `tmpfs` (see withWebdavSandbox()).
 */
function withDav(
  options: { tmpfs?: string } | ((context: WebdavSandbox) => Promise<void>),
  test?: (context: WebdavSandbox) => Promise<void>,
): Promise<void> {
  const [given, run] = typeof options === "function" ? [{}, options] : [options, test!];
  return withWebdavSandbox({ ...given, pass: PASSWORD }, run);
}

/** The upload config of a test: `remote` of the WebDAV server `dav`, then `more` keys. */
function writeDavConfig(sb: Sandbox, dav: WebdavServer, remote: string, more: string) {
  return writeUploadConfig(
    sb,
    `remote = "${remote}"\nrclone_config = "${dav.rcloneConfig}"\n${more}`,
  );
}

async function uploadStatus(sb: Sandbox): Promise<Record<string, unknown>> {
  const result = await runCli(sb, ["upload", "status", "--json"]);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout);
}

Deno.test({
  name: "a recording and its encode arrive byte-identical at a local remote; delete_local waits",
  ignore: !HAS_RCLONE,
  fn: async () => {
    await using sb = await makeSandbox();
    const remoteDir = join(sb.home, "remote");
    const rcloneConfig = join(sb.home, "rclone.conf");
    await Deno.writeTextFile(rcloneConfig, "[loc]\ntype = local\n");
    await writeUploadConfig(
      sb,
      `remote = "loc:${remoteDir}"\nrclone_config = "${rcloneConfig}"\ndelete_local = true`,
    );
    const { mp4, info } = await recording(sb);
    const sums = { mp4: await sha256(mp4), info: await sha256(info) };
    const compressed = join(sb.recordDir, `${BASE}_compressed.mp4`);
    await writeJob(sb, "job.json", {
      input: mp4,
      output: compressed,
      created_at: new Date().toISOString(),
      delete_input_on_success: false,
    });
    await queue(sb, [mp4, info]);

    const first = await runCli(sb, ["upload", "run", "--json-logs"]);
    assert.equal(first.code, 0, first.stderr);
    // rclone checked the copy's md5 itself: taken from its log, no second reading of the copy.
    const uploaded = first.stderr.split("\n").filter((line) => line.includes('"Uploaded '))
      .map((line) => JSON.parse(line).properties);
    assert.deepEqual(uploaded.map((p) => [p.checked, p.by]), [["md5", "copy"], ["md5", "copy"]]);
    assert.equal((await readUploaded(sb.queueDir, mp4))?.checked, `md5:${await md5(mp4)}`);
    assert.equal(await sha256(join(remoteDir, "alice", `${BASE}.mp4`)), sums.mp4);
    assert.equal(await sha256(join(remoteDir, "alice", `${BASE}.info.json`)), sums.info);
    assert.equal(await exists(info), false, "the info sidecar goes once it arrived");
    assert.equal(await exists(mp4), true, "the recording stays until its encode is done");
    const history = JSON.parse((await runCli(sb, ["history", "--json"])).stdout);
    assert.equal(history.recordings[0].uploaded.original, `loc:${remoteDir}/alice/${BASE}.mp4`);
    const table = (await runCli(sb, ["history"])).stdout;
    assert.match(table, /uploaded/);
    assert.match(table, /\byes\b.*$/m);

    const encode = await runCli(sb, ["encode-daemon", "run", "--exit-when-empty"]);
    assert.equal(encode.code, 0, encode.stderr);
    assert.equal(await exists(mp4), false, "uploaded and encoded: the recording goes");
    const compressedSum = await sha256(compressed);
    const status = await uploadStatus(sb);
    assert.equal(status.pending_files, 1, "the encode is queued");

    const second = await runCli(sb, ["upload", "run"]);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(
      await sha256(join(remoteDir, "alice", `${BASE}_compressed.mp4`)),
      compressedSum,
    );
    assert.equal(await exists(compressed), false);
    assert.equal((await uploadStatus(sb)).pending_files, 0);
  },
});

Deno.test({
  name:
    "history and the status page keep a recording uploaded and deleted locally, as remote only (80 and 120 columns)",
  ignore: !HAS_RCLONE,
  fn: async () => {
    await using sb = await makeSandbox();
    const remoteDir = join(sb.home, "remote");
    const rcloneConfig = join(sb.home, "rclone.conf");
    await Deno.writeTextFile(rcloneConfig, "[loc]\ntype = local\n");
    await writeUploadConfig(
      sb,
      `remote = "loc:${remoteDir}"\nrclone_config = "${rcloneConfig}"\ndelete_local = true`,
    );
    // A long login (Twitch allows 25 characters) gone to the remote, and a local one beside it.
    const user = "archivist_one_long_name1";
    const base = `${user}_2026-12-07_11-00-00`;
    await Deno.mkdir(sb.recordDir, { recursive: true });
    const mp4 = await makeClip(join(sb.recordDir, `${base}.mp4`), {
      seconds: 2,
      width: 320,
      height: 180,
    });
    const bytes = (await Deno.stat(mp4)).size;
    await writeCoverageRecord(sb.stateDir, base, [mp4], {
      captured_seconds: 2,
      backfilled_seconds: 0,
      repeats_dropped_seconds: 0,
      gaps: [],
    });
    const settings: UploadSettings = {
      remote: "unused:",
      deleteLocal: true,
      what: ["recording"],
      pathTemplate: "{user}/{file}",
      extraArgs: [],
      host: "test",
    };
    await queueUploads(settings, sb.queueDir, user, [mp4], new Date());
    await recording(sb);

    const run = await runCli(sb, ["upload", "run"]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(await exists(mp4), false, "deleted once it arrived");
    const remote = `loc:${remoteDir}/${user}/${base}.mp4`;

    const json = await runCli(sb, ["history", "--json"]);
    assert.equal(json.code, 0, json.stderr);
    const listed = JSON.parse(json.stdout).recordings;
    assert.deepEqual(listed.map((r: { user: string }) => r.user), [user, "alice"]);
    assert.equal(listed[0].remote_only, true);
    assert.equal(listed[0].file, remote);
    assert.equal(listed[0].uploaded.original, remote);
    assert.equal(listed[0].bytes, bytes);
    assert.equal(listed[0].duration_seconds, 2);
    assert.equal(listed[1].remote_only, false);
    assert.equal(listed[1].uploaded.original, null);

    const piped = await runCli(sb, ["history"]);
    assert.match(piped.stdout, new RegExp(`${user} .*│ remote only +│ ${base}\\.mp4 +│`));
    for (const columns of [80, 120]) {
      const shown = await runCliOnTerminal(sb, ["history"], { columns });
      assert.equal(shown.code, 0, shown.stdout);
      // deno-lint-ignore no-control-regex -- the terminal's colour codes are stripped
      const lines = shown.stdout.replace(/\x1b\[[0-9;]*m/g, "").split(/\r?\n/)
        .filter((line) => /^[┌│├└]/.test(line));
      for (const line of lines) assert.ok(line.length <= columns, `${line.length}: ${line}`);
      // At 80 columns the cell may wrap at its space, never inside a word.
      const whole = columns === 120 ? /│ remote only +│/ : /│ remote( only)? +│/;
      assert.ok(lines.some((line) => whole.test(line)), shown.stdout);
      assert.ok(lines.some((line) => /│ no +│/.test(line)), shown.stdout);
    }
    await assertPageHistory(sb, [`${base}.mp4 (remote only)`, `${BASE}.mp4`], remote);
  },
});

/**
 * The status page (served as `poller run` serves it, from the sandbox's config) lists `files` in
 * its history, newest first, the first one only at `remote`: in /api/page, and as Chromium
 * renders the page when there is one.
 */
async function assertPageHistory(sb: Sandbox, files: string[], remote: string): Promise<void> {
  const { config } = await loadConfig({ configPath: sb.configPath, env: (name) => sb.env[name] });
  const controller = new AbortController();
  const port = freePort();
  const web = startStatusWeb(
    config,
    { hostname: "127.0.0.1", port, loopback: true },
    controller.signal,
  );
  try {
    const url = `http://127.0.0.1:${port}`;
    const page = await eventually("the page's data", async () => {
      const response = await fetch(`${url}/api/page`);
      if (response.ok) return await response.json() as PageData;
      await response.body?.cancel();
      return undefined;
    });
    assert.deepEqual(
      page.history.map((h) => "remote_original" in h ? h.remote_original : h.path),
      [remote, join(sb.recordDir, files[1]!)],
    );
    if (findChromium() === undefined) return;
    const dom = await dumpDom(`${url}/`);
    const table = /<table id="history-list">[\s\S]*?<\/table>/.exec(dom)?.[0] ?? "";
    const cells = [...table.matchAll(/<tr data-user="\w+"[^>]*><td>([^<]*)<\/td>/g)].map((m) =>
      m[1]
    );
    assert.deepEqual(cells, files, table);
  } finally {
    controller.abort();
    await web.stopped;
  }
}

Deno.test({
  name: "a WebDAV server stopped while files are queued: nothing deleted, pending, then arrival",
  ignore: !HAS_RCLONE,
  fn: () =>
    withDav(async ({ sb, dav, served }) => {
      await writeDavConfig(
        sb,
        dav,
        "dav:archive",
        `delete_local = true\nextra_args = ["--contimeout", "2s", "--low-level-retries", "1"]`,
      );
      const { mp4, info } = await recording(sb);
      const sum = await sha256(mp4);
      await queue(sb, [mp4, info]);
      await dav.stop();

      const run = spawnCli(sb, ["upload", "run", "--json-logs"]);
      try {
        await eventually("the queue retrying", async () => {
          const status = await uploadStatus(sb);
          return status.state === "retrying" && status.pending_files === 2;
        });
        assert.equal(await exists(mp4), true);
        assert.equal(await exists(info), true);
        const all = await runCli(sb, ["status", "--json"]);
        const uploads = JSON.parse(all.stdout).uploads;
        assert.equal(uploads.remote, "dav:archive");
        assert.equal(uploads.pending_files, 2);
        assert.match(uploads.error, /connection refused/);
        // Between attempts: a loaded machine can be in the next attempt ("uploading") by now.
        const text = await eventually("status saying retrying", async () => {
          const shown = await runCli(sb, ["status"]);
          return /Uploads to dav:archive: retrying, 2 file\(s\) pending/.test(shown.stdout)
            ? shown
            : undefined;
        });
        assert.match(text.stdout, /last error: .*connection refused/);
        await dav.start();
        const output = await run.output();
        const stderr = new TextDecoder().decode(output.stderr);
        assert.equal(output.code, 0, stderr);
        assert.ok(!stderr.includes(PASSWORD), "the password is not logged");
        // WebDAV keeps no hash: each file was read back to check it.
        const by = stderr.split("\n").filter((line) => line.includes('"Uploaded '))
          .map((line) => JSON.parse(line).properties.by);
        assert.deepEqual(by, ["read-back", "read-back"]);
      } finally {
        try {
          run.kill("SIGKILL");
        } catch { /* exited */ }
      }
      assert.equal(await sha256(join(served, "archive", "alice", `${BASE}.mp4`)), sum);
      assert.equal(await exists(mp4), false, "deleted once it arrived");
      const statusText = await Deno.readTextFile(join(sb.queueDir, "uploads", "status.json"));
      assert.ok(!statusText.includes(PASSWORD));
    }),
});

Deno.test({
  name: "wrong WebDAV credentials stop the queue with one clear line and keep the files",
  ignore: !HAS_RCLONE,
  fn: () =>
    withDav(async ({ sb, dav }) => {
      await using sink = startNotifySink();
      await writeDavConfig(
        sb,
        dav,
        "wrong:archive",
        `delete_local = true\n\n[notify]\nurls = ["json://127.0.0.1:${sink.port}/hook"]`,
      );
      const { mp4 } = await recording(sb);
      await queue(sb, [mp4]);
      const result = await runCli(sb, ["upload", "run"]);
      assert.equal(result.code, 1, result.stderr);
      const lines = result.stderr.trim().split("\n");
      assert.equal(lines.length, 2, result.stderr); // the worker's log line and the exit's
      assert.match(lines.at(-1)!, /Uploads stopped: Credentials refused: .*401/);
      assert.equal(await exists(mp4), true);
      const status = await uploadStatus(sb);
      assert.equal(status.pending_files, 1);
      assert.match(String(status.error), /Credentials refused/);
      assert.equal(status.state, "stopped");
      const events = sink.requests.map((request) => JSON.parse(request.body));
      const failed = events.filter((event) => event.event === "upload_failed");
      assert.equal(failed.length, 1, JSON.stringify(events));
      assert.equal(failed[0].stopped, true);
      assert.match(failed[0].reason, /^Credentials refused: /);
      assert.ok(!JSON.stringify(events).includes(PASSWORD));
      assert.ok(!result.stderr.includes(PASSWORD));
      const doctor = await runCli(sb, ["doctor"]);
      const said = doctor.stdout.split("\n").filter((line) => /^\S+ +uploads:/.test(line));
      assert.equal(said.length, 2, doctor.stdout);
      assert.match(said[0]!, /FAIL.*wrong:archive: Credentials refused: .*401/);
      assert.match(said[1]!, /FAIL.*the queue stopped: Credentials refused/);
      assert.ok(!doctor.stdout.includes(PASSWORD) && !doctor.stderr.includes(PASSWORD));
    }),
});

Deno.test({
  name: "kill -9 of the uploader mid-file: after a restart the file arrives once and whole",
  ignore: !HAS_RCLONE,
  fn: () =>
    withDav(async ({ sb, dav, served }) => {
      await writeDavConfig(sb, dav, "dav:archive", `extra_args = ["--bwlimit", "1M"]`);
      await Deno.mkdir(sb.recordDir, { recursive: true });
      const big = join(sb.recordDir, `${BASE}.mp4`);
      await Deno.writeFile(big, crypto.getRandomValues(new Uint8Array(65536)).map((b, i) => b ^ i));
      const file = await Deno.open(big, { append: true });
      for (let i = 0; i < 48; i++) await file.write(crypto.getRandomValues(new Uint8Array(65536)));
      file.close();
      const sum = await sha256(big);
      await queue(sb, [big]);

      const first = spawnCli(sb, ["upload", "run"]);
      await eventually("bytes on their way", async () => {
        const status = await uploadStatus(sb);
        const current = status.current as { bytes?: number } | undefined;
        return (current?.bytes ?? 0) > 0;
      });
      const rclones = await processesWith(dav.rcloneConfig);
      assert.ok(rclones.length > 0, "rclone is copying");
      for (const process of rclones) {
        assert.ok(!process.argv.join(" ").includes(PASSWORD), "no password on its command line");
      }
      first.kill("SIGKILL");
      await first.status;
      const second = await runCli(sb, ["upload", "run"]);
      assert.equal(second.code, 0, second.stderr);
      const arrived = [];
      for await (const entry of Deno.readDir(join(served, "archive", "alice"))) {
        arrived.push(entry.name);
      }
      assert.deepEqual(arrived, [`${BASE}.mp4`]);
      assert.equal(await sha256(join(served, "archive", "alice", `${BASE}.mp4`)), sum);
      assert.equal((await uploadStatus(sb)).pending_files, 0);
    }),
});

Deno.test({
  name: "a full remote (local and WebDAV on a small tmpfs) stops the queue with one line each",
  ignore: !HAS_RCLONE || !(await canMountTmpfs()),
  fn: () =>
    withDav({ tmpfs: "1m" }, async ({ sb, dav, disk: small }) => {
      await Deno.mkdir(sb.recordDir, { recursive: true });
      const big = join(sb.recordDir, `${BASE}.mp4`);
      await Deno.writeFile(big, crypto.getRandomValues(new Uint8Array(65536)));
      const file = await Deno.open(big, { append: true });
      for (let i = 0; i < 31; i++) await file.write(crypto.getRandomValues(new Uint8Array(65536)));
      file.close();
      await queue(sb, [big]);
      const localConfig = join(sb.home, "local.conf");
      await Deno.writeTextFile(localConfig, "[loc]\ntype = local\n");
      const remotes = [
        { remote: `loc:${join(small, "local")}`, config: localConfig, line: /Remote full/ },
        { remote: "dav:archive", config: dav.rcloneConfig, line: /Remote refused the write/ },
      ];
      for (const { remote, config, line } of remotes) {
        await writeUploadConfig(
          sb,
          `remote = "${remote}"\nrclone_config = "${config}"\ndelete_local = true`,
        );
        const result = await runCli(sb, ["upload", "run"]);
        assert.equal(result.code, 1, result.stderr);
        const last = result.stderr.trim().split("\n").at(-1)!;
        assert.match(last, /Uploads stopped: /);
        assert.match(last, line);
        assert.equal(await exists(big), true, "the local file is kept");
        assert.equal((await uploadStatus(sb)).pending_files, 1);
      }
    }),
});

Deno.test({
  name: "poller run works the upload queue; upload run meanwhile exits 3",
  ignore: !HAS_RCLONE,
  fn: async () => {
    await using sb = await makeSandbox();
    const remoteDir = join(sb.home, "remote");
    const rcloneConfig = join(sb.home, "rclone.conf");
    await Deno.writeTextFile(rcloneConfig, "[loc]\ntype = local\n");
    const usersFile = join(sb.home, "users.txt");
    await Deno.writeTextFile(usersFile, "");
    await writeUploadConfig(
      sb,
      `remote = "loc:${remoteDir}"\nrclone_config = "${rcloneConfig}"\n\n` +
        `[poller]\nusers_file = "${usersFile}"\ninterval = 1\n\n[twitch]\ndetect = "streamlink"`,
    );
    const { mp4 } = await recording(sb);
    const sum = await sha256(mp4);
    const poller = spawnCli(sb, ["poller", "run"]);
    try {
      await eventually("the poller's worker holding the queue", async () => {
        const status = await uploadStatus(sb);
        return status.worker_running === true;
      });
      const busy = await runCli(sb, ["upload", "run"]);
      assert.equal(busy.code, 3, busy.stderr);
      assert.match(busy.stderr, /Another process is working the upload queue/);
      await queue(sb, [mp4]);
      const arrived = join(remoteDir, "alice", `${BASE}.mp4`);
      await eventually("the recording at the remote", async () => {
        const status = await uploadStatus(sb);
        return status.pending_files === 0 && await exists(arrived);
      }, 60_000);
      assert.equal(await sha256(arrived), sum);
      assert.equal(await exists(mp4), true, "delete_local is off");
    } finally {
      poller.kill("SIGTERM");
      const output = await poller.output();
      assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
    }
  },
});
