import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { startSftp } from "../../testing/sftp_server.ts";
import { startWebdav } from "../../testing/webdav_server.ts";
import { copyCheckOf } from "./copy_check.ts";
import { copyArgs } from "./rclone_args.ts";
import { runRclone } from "./run_rclone.ts";

// Lines of rclone 1.60 `copyto --use-json-log --log-level DEBUG` (copied from real runs).
const LOCAL_OK =
  `{"level":"debug","msg":"md5 = c5509ce801fa773f21b345bab1f24306 OK","object":"f.bin","objectType":"*local.Object","source":"operations/operations.go:116","time":"2026-12-07T13:40:02.818744+00:00"}`;
const NO_DST_HASH =
  `{"level":"debug","msg":"Dst hash empty - aborting Src hash check","object":"f_owncloud.bin","objectType":"*webdav.Object","source":"operations/operations.go:92","time":"2026-12-07T13:40:13.130874+00:00"}`;
const COPIED =
  `{"level":"info","msg":"Copied (new)","object":"f.bin","objectType":"*local.Object","source":"operations/operations.go:566","time":"2026-12-07T13:40:02.818888+00:00"}`;

Deno.test("copyCheckOf() reads rclone's hash check of a copy, and nothing else", () => {
  assert.deepEqual(copyCheckOf(LOCAL_OK), {
    type: "md5",
    hash: "c5509ce801fa773f21b345bab1f24306",
    object: "f.bin",
  });
  assert.equal(copyCheckOf(NO_DST_HASH), undefined);
  assert.equal(copyCheckOf(COPIED), undefined);
  // A mismatch is logged per side, without "OK" (and the copy then fails).
  assert.equal(
    copyCheckOf(
      `{"level":"debug","msg":"md5 = c5509ce801fa773f21b345bab1f24306 (Local file system at /x)"}`,
    ),
    undefined,
  );
  // Only rclone's own debug line: an error that happens to end in " OK" is not a check.
  assert.equal(copyCheckOf(`{"level":"error","msg":"md5 = 00 OK","object":"f.bin"}`), undefined);
  assert.equal(copyCheckOf("2026/12/07 13:40:02 DEBUG : f.bin: md5 = 00 OK"), undefined);
});

/** The check `rclone copyto` (with the worker's argv) logs copying `bytes` to `remote`. */
async function copyCheckOfRun(dir: string, rcloneConfig: string, remote: string) {
  const local = join(dir, "alice_2026-12-07_10-00-00.mp4");
  const bytes = crypto.getRandomValues(new Uint8Array(65536));
  await Deno.writeFile(local, bytes);
  const settings = { rcloneConfig, extraArgs: [] };
  const checks: unknown[] = [];
  const result = await runRclone(copyArgs(settings, local, remote), {
    onStderr: (line) => {
      const check = copyCheckOf(line);
      if (check) checks.push(check);
    },
  });
  assert.equal(result.code, 0, result.stderr);
  return { checks, md5: createHash("md5").update(bytes).digest("hex") };
}

Deno.test("rclone copyto to a local remote logs its md5 check of the copy", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const config = join(dir, "rclone.conf");
    await Deno.writeTextFile(config, "[loc]\ntype = local\n");
    const { checks, md5 } = await copyCheckOfRun(dir, config, `loc:${dir}/remote/a.mp4`);
    assert.deepEqual(checks, [{ type: "md5", hash: md5, object: "alice_2026-12-07_10-00-00.mp4" }]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("rclone copyto to a WebDAV server without hashes logs no check", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const served = join(dir, "served");
    await Deno.mkdir(served);
    await using dav = await startWebdav(served, dir);
    const { checks } = await copyCheckOfRun(dir, dav.rcloneConfig, "dav:a.mp4");
    assert.deepEqual(checks, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("rclone copyto to an SFTP server with md5sum logs its md5 check of the copy", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const served = join(dir, "served");
    await Deno.mkdir(served);
    await using sftp = await startSftp(served, dir);
    const { checks, md5 } = await copyCheckOfRun(dir, sftp.rcloneConfig, "sftp:a.mp4");
    assert.deepEqual(checks, [{ type: "md5", hash: md5, object: "alice_2026-12-07_10-00-00.mp4" }]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
