import { join, resolve } from "node:path";
import { ConfigError } from "../errors.ts";

/** Reads one environment variable; injected so tests need no real environment. */
export type EnvReader = (name: string) => string | undefined;

/** Where things live by default; every path derives from HOME/XDG_* so `HOME=$(mktemp -d)` isolates a run. */
export interface BaseDirs {
  readonly home: string;
  readonly configDir: string;
  readonly stateDir: string;
  readonly defaultConfigFile: string;
}

/** Resolves HOME and the XDG base directories. */
export function baseDirs(env: EnvReader): BaseDirs {
  const home = env("HOME");
  if (!home) throw new ConfigError("Cannot locate the home directory: HOME is not set");
  const configHome = env("XDG_CONFIG_HOME") || join(home, ".config");
  const stateHome = env("XDG_STATE_HOME") || join(home, ".local", "state");
  const configDir = join(configHome, "twitchtool");
  return {
    home,
    configDir,
    stateDir: join(stateHome, "twitchtool"),
    defaultConfigFile: join(configDir, "config.toml"),
  };
}

/**
 * The session folder (parts and manifests of recordings in progress): `<record_dir>/temp`, or
 * `<record_dir>/TwitchTool/temp` when record_dir is a bare `~/Videos` or `~/Downloads` (so we
 * never litter those with `temp/`). Resolved once with the other paths, so nothing downstream
 * needs HOME to find it.
 */
export function tempDirFor(recordDir: string, home: string): string {
  const dir = resolve(recordDir);
  const bare = [join(home, "Videos"), join(home, "Downloads")].map((p) => resolve(p));
  return bare.includes(dir) ? join(dir, "TwitchTool", "temp") : join(dir, "temp");
}

/**
 * The public Client-ID of Twitch's own web player, the one streamlink sends: it lets the poller
 * ask Twitch's GraphQL endpoint who is live without a registered app.
 */
export const TWITCH_WEB_CLIENT_ID = "kimne78kx3ncx6brgo4mv6wki5h1ko";

/**
 * Default values keyed `section.key`, as the original tool had them, except one: without
 * `XDG_RUNTIME_DIR` the runtime dir is `<state dir>/run`, not the original's shared
 * `/tmp/twitchtool-<uid>`. That folder was shared by every HOME of the uid (so
 * `HOME=$(mktemp -d)` runs saw each other's locks) and anyone could pre-create it in `/tmp`.
 */
export function defaultValues(
  dirs: BaseDirs,
  env: EnvReader,
  isDirectory: (path: string) => boolean,
): Record<string, unknown> {
  const videos = join(dirs.home, "Videos");
  const recordParent = isDirectory(videos) ? videos : join(dirs.home, "Downloads");
  const xdgRuntime = env("XDG_RUNTIME_DIR");
  return {
    "paths.record_dir": join(recordParent, "TwitchTool"),
    "paths.queue_dir": join(dirs.stateDir, "encode-queue"),
    "paths.logs_dir": join(dirs.stateDir, "logs"),
    "logging.max_log_mb": 50,
    "paths.runtime_dir": xdgRuntime ? join(xdgRuntime, "twitchtool") : join(dirs.stateDir, "run"),
    "limits.record_limit": 6,
    "storage.disk_free_min_gb": 10,
    "record.quality": "best",
    "record.retry_delay": 60,
    "record.retry_window": 900,
    "record.loglevel": "error",
    "record.enable_remux": true,
    "record.delete_ts_after_remux": true,
    "record.delete_input_on_success": false,
    "encode_daemon.preset": "medium",
    "encode_daemon.crf": 26,
    "encode_daemon.threads": 1,
    "encode_daemon.height": 480,
    "encode_daemon.fps": "auto",
    "encode_daemon.loglevel": "error",
    "encode_daemon.video_codec": "libx265",
    "encode_daemon.audio_bitrate": "128k",
    "poller.users_file": join(dirs.configDir, "users.txt"),
    "poller.interval": 300,
    "poller.quality": "best",
    "poller.download_cmd": "twitchtool record",
    "poller.timeout": 15,
    "poller.probe_concurrency": 10,
    "streamlink.url_template": "https://twitch.tv/{user}",
    "streamlink.extra_args": [],
    "twitch.detect": "auto",
    "twitch.gql_url": "https://gql.twitch.tv/gql",
    "twitch.gql_batch": 35,
    "twitch.client_id": TWITCH_WEB_CLIENT_ID,
    "twitch.helix_url": "https://api.twitch.tv/helix",
    "twitch.oauth_url": "https://id.twitch.tv/oauth2/token",
    "twitch.backfill": false,
    "twitch.vod_url_template": "https://www.twitch.tv/videos/{id}",
    "notify.urls": [],
    "notify.give_up_after": 300,
    "chat.enabled": false,
    "chat.url": "wss://irc-ws.chat.twitch.tv:443",
  };
}
