/**
 * Retention with uploads configured: a file whose upload arrived (real rclone, `local` remote)
 * may go; one not uploaded yet stays, and `clean --retention` says so, until
 * `[retention] delete_unuploaded = true` lets it go.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { queueUploads } from "../src/upload/upload_settings.ts";
import { makeSandbox, runCli } from "../testing/cli.ts";

const HAS_RCLONE = await new Deno.Command("rclone", {
  args: ["version"],
  stdout: "null",
  stderr: "null",
}).output().then((out) => out.success, () => false);

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test({
  name: "retention deletes an uploaded recording and keeps the ones not uploaded, saying so",
  ignore: !HAS_RCLONE,
  fn: async () => {
    await using sb = await makeSandbox();
    await Deno.mkdir(sb.recordDir, { recursive: true });
    const [uploaded, waiting, other] = [1, 2, 3].map((day) =>
      join(sb.recordDir, `alice_2026-01-0${day}_10-00-00.mp4`)
    );
    for (const path of [uploaded!, waiting!, other!]) {
      await Deno.writeFile(path, new Uint8Array(4096).fill(day(path)));
    }
    const rcloneConfig = join(sb.home, "rclone.conf");
    await Deno.writeTextFile(rcloneConfig, "[loc]\ntype = local\n");
    const config = (extra: string) =>
      sb.writeConfig(`[paths]
runtime_dir = "${sb.runtimeDir}"

[upload]
remote = "loc:${join(sb.home, "remote")}"
rclone_config = "${rcloneConfig}"

[retention]
max_age_days = 1
${extra}`);
    await config("");
    await queueUploads(
      {
        remote: "unused:",
        deleteLocal: false,
        what: ["recording"],
        pathTemplate: "{user}/{file}",
        extraArgs: [],
        host: "test",
      },
      sb.queueDir,
      "alice",
      [uploaded!],
      new Date(),
    );
    const upload = await runCli(sb, ["upload", "run"]);
    assert.equal(upload.code, 0, upload.stderr);

    const clean = await runCli(sb, ["clean", "--retention"]);
    assert.equal(clean.code, 0, clean.stderr);
    assert.equal(await exists(uploaded!), false, "the uploaded recording goes");
    assert.equal(await exists(waiting!), true);
    assert.equal(await exists(other!), true);
    assert.match(
      clean.stdout,
      /Retention keeps 2 file\(s\) \(8.0 KiB\) it would delete: not uploaded yet/,
    );

    await config("delete_unuploaded = true\n");
    const allowed = await runCli(sb, ["clean", "--retention"]);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.equal(await exists(waiting!), false);
    assert.equal(await exists(other!), false);
  },
});

function day(path: string): number {
  return Number(/_2026-01-0(\d)_/.exec(path)?.[1] ?? 0);
}
