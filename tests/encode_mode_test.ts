/** End-to-end tests of `encode-mode` on a real config file. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { makeSandbox, runCli } from "../testing/cli.ts";

const COMMENTED = `# twitchtool config, hand written
[paths]
runtime_dir = "/tmp/somewhere" # keep in tmpfs

# Recording
[record]
quality = "best"      # highest available
enable_remux = true   # encode-mode flips this

[encode_daemon]
# small files please
crf = 28
`;

Deno.test("encode-mode off/on flips record.enable_remux and keeps every comment", async () => {
  await using sb = await makeSandbox();
  await sb.writeConfig(COMMENTED);
  const off = await runCli(sb, ["encode-mode", "off"]);
  assert.equal(off.code, 0, off.stderr);
  assert.equal(
    await Deno.readTextFile(sb.configPath),
    COMMENTED.replace("enable_remux = true   #", "enable_remux = false   #"),
  );
  const status = await runCli(sb, ["encode-mode", "status"]);
  assert.match(status.stdout, /Encode mode: off \(set in/);
  const on = await runCli(sb, ["encode-mode", "on"]);
  assert.equal(on.code, 0, on.stderr);
  assert.equal(await Deno.readTextFile(sb.configPath), COMMENTED);
  assert.match((await runCli(sb, ["encode-mode", "status"])).stdout, /Encode mode: on/);
});

Deno.test("encode-mode creates a missing config file; status reports the default", async () => {
  await using sb = await makeSandbox();
  const path = join(sb.home, "elsewhere", "config.toml");
  const status = await runCli(sb, ["--config", path, "encode-mode", "status"]);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /Encode mode: on \(default, not set in/);
  const off = await runCli(sb, ["--config", path, "encode-mode", "off"]);
  assert.equal(off.code, 0, off.stderr);
  assert.equal(await Deno.readTextFile(path), "[record]\nenable_remux = false\n");
  const bad = await runCli(sb, ["encode-mode", "sideways"]);
  assert.equal(bad.code, 2);
});
