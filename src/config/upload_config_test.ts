import assert from "node:assert/strict";
import { ConfigError } from "../errors.ts";
import { loadConfigText } from "../../testing/config_text.ts";

async function refused(toml: string, pattern: RegExp): Promise<void> {
  await assert.rejects(
    () => loadConfigText(toml),
    (error: Error) => error instanceof ConfigError && pattern.test(error.message),
    toml,
  );
}

Deno.test("loadConfig() leaves uploads off and shards unset by default", async () => {
  const { config } = await loadConfigText("");
  assert.equal(config.upload.remote, undefined);
  assert.equal(config.upload.deleteLocal, false);
  assert.deepEqual(config.upload.what, ["recording", "compressed", "chat", "info"]);
  assert.equal(config.upload.pathTemplate, "{user}/{file}");
  assert.equal(config.poller.shard, undefined);
});

Deno.test("loadConfig() reads [upload] and poller.shard", async () => {
  const { config } = await loadConfigText(
    `[upload]\nremote = "b2:archive/twitch"\nwhat = ["compressed"]\n` +
      `path_template = "{host}/{user}/{date}/{file}"\nextra_args = ["--bwlimit", "8M"]\n` +
      `[poller]\nshard = "2/3"\n`,
  );
  assert.equal(config.upload.remote, "b2:archive/twitch");
  assert.deepEqual(config.upload.what, ["compressed"]);
  assert.deepEqual(config.upload.extraArgs, ["--bwlimit", "8M"]);
  assert.equal(config.poller.shard, "2/3");
});

Deno.test("loadConfig() refuses unusable [upload] values and shards, naming the key", async () => {
  await refused(`[upload]\nremote = "just-a-name"\n`, /rclone remote.*"upload\.remote"/);
  await refused(`[upload]\nremote = "--config=x:"\n`, /"upload\.remote"/);
  await refused(`[upload]\npath_template = "{user}/x.mp4"\n`, /\{file\} placeholder/);
  await refused(`[upload]\npath_template = "{channel}/{file}"\n`, /only \{user\}/);
  await refused(`[upload]\npath_template = "../{file}"\n`, /relative path/);
  await refused(`[upload]\nextra_args = ["--config", "/x"]\n`, /"upload\.rclone_config"/);
  await refused(`[upload]\nwhat = ["videos"]\n`, /recording, compressed, chat, info/);
  await refused(`[poller]\nshard = "4/3"\n`, /K of N.*"poller\.shard"/);
  await refused(`[poller]\nshard = "0/3"\n`, /"poller\.shard"/);
});
