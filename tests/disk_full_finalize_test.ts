/**
 * A record disk with no room to finalize: the error is the documented low-disk one (not an
 * internal error), nothing half-written is left beside the kept parts, and the poller backs off
 * the channel until space returns instead of retrying it every cycle.
 */
import { eventually } from "../testing/eventually.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { finalizeRecording } from "../testing/finalize_parts.ts";
import { isNoSpaceError } from "../src/util/disk_space.ts";
import {
  collect,
  defaultConfig,
  listDir,
  makeSandbox,
  pollerSection,
  runCli,
  spawnCli,
} from "../testing/cli.ts";
import { startHlsServer } from "../testing/hls_server.ts";
import { ensureSegments } from "../testing/segments.ts";
import { canMountTmpfs, mountTmpfs } from "../testing/tmpfs.ts";
import type { StatusSnapshot } from "../src/state/status_snapshot.ts";

const tmpfs = await canMountTmpfs();

Deno.test({
  name: "finalizeRecording() on a full disk fails with ENOSPC and leaves only the parts",
  ignore: !tmpfs,
  fn: async () => {
    const segments = await ensureSegments();
    const root = await Deno.makeTempDir();
    try {
      const temp = join(root, "temp");
      const chunks = await Promise.all(segments.files.slice(0, 12).map((f) => Deno.readFile(f)));
      const size = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
      // Room for the part and a little more: no copy of it fits.
      await using _disk = await mountTmpfs(root, `${Math.ceil((size * 1.3) / 4096) * 4}k`);
      await Deno.mkdir(temp);
      const part = join(temp, "u_base_part01.ts");
      await Deno.writeFile(part, new Uint8Array(chunks.flatMap((chunk) => [...chunk])));
      const error = await finalizeRecording([part], {
        recordDir: root,
        tempDir: temp,
        base: "u_base",
        enableRemux: true,
        deleteTsAfterRemux: true,
      }).then(() => undefined, (error: Error) => error);
      assert.ok(error, "finalize succeeded on a full disk");
      assert.ok(isNoSpaceError(error), `not a no-space error: ${error.message}`);
      assert.doesNotMatch(error.message, /Bad resource/);
      assert.deepEqual(await listDir(temp), ["u_base_part01.ts"]);
      assert.deepEqual(await listDir(root), ["temp"]);
    } finally {
      await Deno.remove(root, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name:
    "a hosted recording that fills the disk says so once with the documented message, and the poller waits for room",
  ignore: !tmpfs,
  fn: async () => {
    const server = await startHlsServer({ endGraceMs: 1200 });
    await using sandbox = await makeSandbox();
    await using disk = await mountTmpfs(sandbox.recordDir, "1m");
    const configPath = join(sandbox.home, "poller.toml");
    const usersFile = join(sandbox.home, "channels.txt");
    await Deno.writeTextFile(usersFile, "disk_full\n");
    await Deno.writeTextFile(
      configPath,
      defaultConfig(
        sandbox,
        server.urlTemplate,
        pollerSection(usersFile),
      ).replace("disk_free_min_bytes = 1048576", "disk_free_min_bytes = 0"),
    );
    const logPath = join(sandbox.stateDir, "logs", "disk_full.log");
    const poller = spawnCli(sandbox, ["--config", configPath, "poller", "run"]);
    const result = collect(poller);
    try {
      server.goLive("disk_full");
      const stderrSoFar = async () => await Deno.readTextFile(logPath).catch(() => "");
      await eventually("the poller to wait for room", async () => {
        const status = await runCli(sandbox, ["--config", configPath, "status", "--json"]);
        const skipped = JSON.parse(status.stdout)?.poller?.skipped ?? [];
        return skipped.some((s: { reason: string }) => s.reason === "waiting for disk space");
      }, 300_000);
      // Several more cycles with the disk still full: no new attempt.
      const cycles = async () =>
        JSON.parse(await Deno.readTextFile(join(sandbox.stateDir, "poller.status.json")))
          .cycles as number;
      const before = await cycles();
      await eventually("5 more poll cycles", async () => (await cycles()) >= before + 5, 60_000);
      const log = await stderrSoFar();
      assert.match(log, /No space left on device/);
      assert.doesNotMatch(log, /Bad resource/);
      assert.equal(count(log, /Capture ended/), 1, log);
      const temp = await listDir(sandbox.tempDir);
      assert.deepEqual(temp.filter((name) => name.endsWith(".partial")), [], `${temp}`);

      await disk.resize("256m");
      const recordings = async () => {
        const status = await runCli(sandbox, ["--config", configPath, "status", "--json"]);
        return (JSON.parse(status.stdout) as StatusSnapshot | undefined)?.recordings ?? [];
      };
      await eventually("a new capture once there is room", async () => {
        return (await recordings()).some((r) => r.user === "disk_full" && r.bytes > 0);
      }, 300_000);
      server.end("disk_full");
      await eventually("the new recording to finish", async () => {
        return (await recordings()).length === 0;
      }, 300_000);
    } catch (error) {
      poller.kill("SIGTERM");
      console.error((await result).stderr);
      throw error;
    } finally {
      try {
        poller.kill("SIGTERM");
      } catch { /* already stopped */ }
      await server.close();
    }
    {
      const done = await result;
      assert.match(
        done.stderr,
        /not finalized for lack of space: \d+ part\(s\) kept in ".*temp", free some space and run "twitchtool recover"/,
      );
      assert.equal(count(done.stderr, /Not recording "?disk_full"? again/), 1, done.stderr);
      assert.match(
        done.stderr,
        /The record disk has room again: recording "?disk_full"? again/,
        done.stderr,
      );
    }
  },
});

const count = (text: string, pattern: RegExp) => text.match(new RegExp(pattern, "g"))?.length ?? 0;
