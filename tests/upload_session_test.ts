/**
 * A finished session queues its delivered files for upload, once: `recover` finishes a session
 * left behind (here written by hand, its recorder long dead, no chat journal so no sidecars),
 * the `.mp4` it delivers is queued where `path_template` says, and a kill -9 right after the
 * encode job was queued (failpoint `enqueued`) followed by a second `recover` queues it once.
 */
import assert from "node:assert/strict";
import { basename, join } from "node:path";
import { writeManifest } from "../src/state/session_manifest.ts";
import { listPendingUploads } from "../src/state/upload_queue.ts";
import { hostName } from "../src/upload/upload_settings.ts";
import { makeSandbox, runCli } from "../testing/cli.ts";
import { ensureSegments } from "../testing/segments.ts";

Deno.test("a finished session queues its recording for upload, once, even after kill -9", async () => {
  const segments = await ensureSegments();
  await using sb = await makeSandbox();
  await sb.writeConfig(`[paths]
runtime_dir = "${sb.runtimeDir}"

[storage]
disk_free_min_bytes = 1048576

[upload]
remote = "archive:twitch"
what = ["recording", "info"]
path_template = "{host}/{user}/{date}/{file}"
`);
  const base = "alice_2026-12-07_10-00-00";
  await Deno.mkdir(sb.tempDir, { recursive: true });
  const part = join(sb.tempDir, `${base}_part01.ts`);
  const chunks = await Promise.all(segments.files.slice(0, 4).map((f) => Deno.readFile(f)));
  await Deno.writeFile(part, new Uint8Array(chunks.flatMap((chunk) => [...chunk])));
  await writeManifest(sb.tempDir, {
    user: "alice",
    base,
    pid: 2 ** 22 + 1, // above pid_max: never alive
    started_at: "2026-12-07T10:00:00.000Z",
    phase: "capturing",
    parts: [part],
    enable_remux: true,
    delete_ts_after_remux: true,
    delete_input_on_success: false,
    capture_ended_at: "2026-12-07T10:00:04.000Z",
  });

  const killed = await runCli(sb, ["recover"], { env: { TWITCHTOOL_FAILPOINT: "enqueued" } });
  assert.notEqual(killed.code, 0, "killed at the failpoint");
  const again = await runCli(sb, ["recover"]);
  assert.equal(again.code, 0, again.stderr);

  const pending = await listPendingUploads(sb.queueDir);
  const host = hostName();
  assert.deepEqual(
    pending.map((item) => [basename(item.local), item.kind, item.dest]).sort(),
    [[`${base}.mp4`, "recording", `${host}/alice/2026-12-07/${base}.mp4`]],
  );
  const status = JSON.parse((await runCli(sb, ["upload", "status", "--json"])).stdout);
  assert.equal(status.pending_files, 1);
  assert.equal(status.state, "not running");
});
