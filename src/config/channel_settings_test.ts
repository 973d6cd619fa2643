import assert from "node:assert/strict";
import { join } from "node:path";
import {
  channelConfig,
  channelSettings,
  channelTableWarnings,
  earlierLogins,
  withChannelRenames,
} from "./channel_settings.ts";
import { inspectConfig, loadConfig } from "./load_config.ts";

async function withConfig(
  text: string,
  fn: (path: string, home: string) => Promise<void>,
  env: Record<string, string> = {},
): Promise<void> {
  const home = await Deno.makeTempDir();
  try {
    const path = join(home, "config.toml");
    await Deno.writeTextFile(path, text);
    await fn(path, home);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
  void env;
}

const TABLES = `[record]
quality = "best"

[streamlink]
extra_args = ["--twitch-low-latency"]

[channel.Alice]
quality = "720p60"
chat = true
keep = 3
notify = ["recording_failed"]
extra_args = ["--http-timeout", "30"]

[channel.bob]
notify = false
max_age_days = 7
upload = true
`;

Deno.test("channelSettings() lays a channel's table over the global keys, with origins", async () => {
  await withConfig(TABLES, async (path, home) => {
    const { config } = await loadConfig({ configPath: path, env: (n) => ({ HOME: home })[n] });
    const alice = channelSettings(config, "alice");
    assert.equal(alice.quality, "720p60");
    assert.equal(alice.chat, true);
    assert.equal(alice.keep, 3);
    assert.deepEqual(alice.notify, ["recording_failed"]);
    assert.deepEqual(alice.extraArgs, ["--twitch-low-latency", "--http-timeout", "30"]);
    assert.equal(alice.origins.quality.source, "channel");
    assert.equal(alice.origins.quality.label, `[channel.alice] ${path}:8`);
    assert.deepEqual(alice.origins.backfill, { source: "default", label: "twitch.backfill" });
    const bob = channelSettings(config, "BOB");
    assert.equal(bob.quality, "best");
    assert.deepEqual(bob.origins.quality, { source: "file", label: `${path}:2` });
    assert.deepEqual(bob.notify, []);
    assert.equal(bob.maxAgeDays, 7);
    assert.equal(bob.upload, true);
    assert.equal(channelSettings(config, "carol").upload, undefined);
    assert.equal(channelConfig(config, "alice").record.quality, "720p60");
    assert.equal(channelConfig(config, "carol").record.quality, "best");
    assert.deepEqual(channelTableWarnings(config, ["alice"]), [
      `[channel.bob] in config "${path}" names a channel that is not in the users file "${config.poller.usersFile}"`,
    ]);
  });
});

Deno.test("channelSettings() lets a record --quality flag win over the channel's table", async () => {
  await withConfig(TABLES, async (path, home) => {
    const { config } = await loadConfig({
      configPath: path,
      env: (n) => ({ HOME: home })[n],
      overrides: { "record.quality": { value: "480p", flag: "--quality" } },
    });
    assert.equal(channelSettings(config, "alice", { flagWins: true }).quality, "480p");
    assert.equal(channelSettings(config, "alice").quality, "720p60");
  });
});

Deno.test("loadConfig() refuses unknown and mistyped channel keys, naming file and line", async () => {
  const text = `[channel.alice]\nqualty = "720p"\nkeep = 0\nnotify = ["recording_begun"]\n` +
    `[channel.x]\nchat = true\n[chanel.bob]\nchat = true\n`;
  await withConfig(text, async (path, home) => {
    const { problems } = await inspectConfig({
      configPath: path,
      env: (n) => ({ HOME: home })[n],
    });
    const messages = problems.map((problem) => problem.message);
    assert.deepEqual(messages, [
      `Unknown key "channel.alice.qualty" in config "${path}": line 2: did you mean "channel.alice.quality"?`,
      `Cannot use config "${path}": line 3: expected an integer >= 1 for "channel.alice.keep", got 0`,
      `Cannot use config "${path}": line 4: expected an array of recording_started, recording_finished, recording_failed, encode_finished, encode_failed, disk_low, retention_deleted, upload_finished, upload_failed, config_refused, channel_renamed (not "recording_begun") for "channel.alice.notify", got ["recording_begun"]`,
      `Cannot use [channel.x] in config "${path}": line 5: "x" is not a Twitch login (3-25 letters, digits or underscores)`,
      `Unknown section "chanel" in config "${path}": line 7: did you mean "channel"?`,
    ]);
  });
});

Deno.test("channelConfig() leaves a channel with upload = false out of the upload queue", async () => {
  const text = `[upload]\nremote = "archive:vods"\n\n[channel.alice]\nupload = false\n\n` +
    `[channel.bob]\nupload = true\n`;
  await withConfig(text, async (path, home) => {
    const { config } = await loadConfig({
      configPath: path,
      env: (name) => ({ HOME: home })[name],
    });
    assert.equal(channelConfig(config, "alice").upload.remote, undefined);
    assert.equal(channelConfig(config, "bob").upload.remote, "archive:vods");
    assert.equal(channelConfig(config, "carol").upload.remote, "archive:vods");
  });
});

Deno.test("a channel's table follows it through renames on Twitch until a table for its new login is written", async () => {
  await withConfig(TABLES, async (path, home) => {
    const { config } = await loadConfig({ configPath: path, env: (n) => ({ HOME: home })[n] });
    // alice renamed herself al, then al renamed itself alyx.
    const renamed = withChannelRenames(config, [
      { from: "alice", to: "al" },
      { from: "zed", to: "zoe" },
      { from: "al", to: "alyx" },
    ]);
    assert.deepEqual(earlierLogins(renamed, "ALYX"), ["al", "alice"]);
    const alyx = channelSettings(renamed, "alyx");
    assert.equal(alyx.quality, "720p60");
    assert.equal(alyx.table, "alice");
    assert.equal(alyx.origins.quality.label, `[channel.alice] ${path}:8`);
    assert.equal(channelConfig(renamed, "alyx").record.quality, "720p60");
    assert.equal(channelSettings(config, "alyx").quality, "best", "without the renames: none");
    assert.equal(channelSettings(renamed, "zoe").table, undefined);
    // The table under the old login is not a stray one while its channel is listed by either name.
    assert.deepEqual(channelTableWarnings(renamed, ["alyx", "bob"]), []);
    assert.deepEqual(channelTableWarnings(renamed, ["alice", "bob"]), []);

    // The user writes a table for the new login: it is the channel's from then on.
    await Deno.writeTextFile(path, TABLES + `\n[channel.alyx]\nquality = "480p"\n`);
    const edited = (await loadConfig({ configPath: path, env: (n) => ({ HOME: home })[n] }))
      .config;
    const own = channelSettings(withChannelRenames(edited, renamed.channelRenames!), "alyx");
    assert.equal(own.quality, "480p");
    assert.equal(own.table, "alyx");
    assert.equal(own.chat, false, "the old table no longer applies in part");
  });
});
