import assert from "node:assert/strict";
import { loadConfig } from "../config/load_config.ts";
import { ConfigError } from "../errors.ts";
import { chooseDetector, isTwitchUrl, pollInterval } from "./detect_live.ts";

/** The config a poller would run with, given these environment overrides and flags. */
async function configWith(vars: Record<string, string>, interval?: string) {
  const home = await Deno.makeTempDir();
  try {
    const { config } = await loadConfig({
      env: (name) => name === "HOME" ? home : vars[name],
      overrides: { "poller.interval": { value: interval, flag: "--interval" } },
    });
    return config;
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

Deno.test("isTwitchUrl() recognises twitch.tv and its subdomains only", () => {
  assert.equal(isTwitchUrl("https://twitch.tv/{user}"), true);
  assert.equal(isTwitchUrl("https://www.twitch.tv/{user}"), true);
  assert.equal(isTwitchUrl("hls://http://127.0.0.1:8080/live/{user}/index.m3u8"), false);
  assert.equal(isTwitchUrl("https://nottwitch.tv/{user}"), false);
  assert.equal(isTwitchUrl("not a url"), false);
});

Deno.test("chooseDetector(): auto uses GraphQL for Twitch URLs, Helix with a secret, streamlink elsewhere", async () => {
  assert.equal(chooseDetector(await configWith({})), "gql");
  assert.equal(chooseDetector(await configWith({ TWITCH_CLIENT_SECRET: "s" })), "helix");
  // url_template has no environment variable: a non-Twitch one is set on the config object.
  const local = await configWith({});
  const other = { ...local, streamlink: { ...local.streamlink, urlTemplate: "hls://x/{user}" } };
  assert.equal(chooseDetector(other), "streamlink");
  const forced = { ...other, twitch: { ...other.twitch, detect: "gql" as const } };
  assert.equal(chooseDetector(forced), "gql", "detect = gql ignores the URL");
  assert.equal(chooseDetector(await configWith({ TWITCH_DETECT: "streamlink" })), "streamlink");
  await assert.rejects(
    async () => chooseDetector(await configWith({ TWITCH_DETECT: "helix" })),
    (error: Error) => error instanceof ConfigError && /client_secret/.test(error.message),
  );
});

Deno.test("pollInterval(): 30 s with the API unless set anywhere, 300 s with probes, at least 15 s against Twitch", async () => {
  assert.equal(pollInterval(await configWith({}), "gql"), 30);
  assert.equal(pollInterval(await configWith({}), "streamlink"), 300);
  assert.equal(pollInterval(await configWith({ POLL_INTERVAL: "300" }), "gql"), 300);
  assert.equal(pollInterval(await configWith({}, "20"), "gql"), 20);
  assert.equal(pollInterval(await configWith({}, "15"), "helix"), 15);
  assert.equal(pollInterval(await configWith({}, "5"), "gql"), 15, "Twitch's host: raised");
  assert.equal(pollInterval(await configWith({}, "5"), "streamlink"), 5);
  const local = await configWith({ TWITCH_GQL_URL: "http://127.0.0.1:9/gql" }, "2");
  assert.equal(pollInterval(local, "gql"), 2, "a local endpoint may be polled faster");
});
