/**
 * Every configuration key, once: its TOML section and name, value kind, default, environment
 * variable, command-line option with its help, and bounds. Loading, defaults, validation,
 * unknown-key errors, the `Config` object (assemble_config.ts, schema_config.ts), the options
 * commands offer (cli/key_option.ts), `--help`, the roles' `--allow-env` (permissions.ts) and
 * docs/configuration.md (`deno task docs`) all read this table, so a key cannot exist in one
 * place and be missing (or different) in another. The defaults on this machine (HOME and the XDG
 * folders, {@link defaultValues}) are computed at the end of this file.
 */
import { join, resolve } from "node:path";
import { ConfigError } from "../errors.ts";

/** How a raw TOML/env/CLI value is read. */
export type FieldKind =
  | "string"
  /** A folder path: `~` expands; a file in its place or on its way is an error. */
  | "dir"
  /** A file path: `~` expands; a folder in its place is an error. */
  | "file"
  | "int"
  | "number"
  | "bool"
  | "string_list"
  | "fps";

/** A key's value once read: what the `Config` object holds for it. */
export type ConfigValue = string | number | boolean | readonly string[];

/** What a default may depend on: HOME and the XDG folders, and whether `~/Videos` exists. */
export interface DefaultContext {
  readonly dirs: BaseDirs;
  readonly env: EnvReader;
  readonly isDirectory: (path: string) => boolean;
}

/** How a key is set on the command line; `--help` appends its default, key and env var. */
export interface KeyOption {
  /** commander flags with the value's placeholder (`--retry-delay <seconds>`); a switch for `bool`. */
  readonly flags: string;
  /** The option's `--help` text (plain, unlike `doc`); a command may word it for its context. */
  readonly help: string;
}

/** One configuration key. */
export interface FieldSpec {
  readonly section: string;
  readonly key: string;
  readonly kind: FieldKind;
  /**
   * The built-in value (a function when it depends on the machine); absent means the key is
   * unset (`undefined` in `Config`) unless the user sets it. The only place a default is written.
   */
  readonly default?: ConfigValue | ((machine: DefaultContext) => string);
  /**
   * One spelling of a size that `Config` holds in bytes as `<stem>Bytes`: `<stem>_bytes` wins
   * over `<stem>_gb` set in the same layer; a default goes on the `_gb` spelling.
   */
  readonly size?: "gb" | "bytes";
  /** Environment variable that overrides the file (precedence CLI > env > file > defaults). */
  readonly env?: string;
  /** The command-line option that sets the key, on the commands that offer it (cli/program.ts). */
  readonly option?: KeyOption;
  readonly min?: number;
  readonly max?: number;
  readonly choices?: readonly string[];
  /** A `string` that must be a URL with one of these schemes (`["ws:", "wss:"]`). */
  readonly schemes?: readonly string[];
  /** One-line meaning (Markdown) for the key table of docs/configuration.md (`deno task docs`). */
  readonly doc: string;
  /** How `--help` and the docs state the default when it depends on other settings (else the plain value). */
  readonly defaultDoc?: string;
  /**
   * How docs/configuration.md states a default that depends on the machine (Markdown); `--help`
   * shows the value computed on the machine it runs on instead.
   */
  readonly docsDefault?: string;
  /** The value may hold a credential: an error about it shows the value with its text masked. */
  readonly secret?: boolean;
  /** A check beyond the kind and bounds: the expectation text when the value cannot be used. */
  readonly check?: (value: ConfigValue) => string | undefined;
}

/** Log levels streamlink accepts for `--loglevel`. */
export const STREAMLINK_LOGLEVELS = [
  "none",
  "error",
  "warning",
  "info",
  "debug",
  "trace",
  "all",
] as const;

/** Log levels ffmpeg accepts for `-loglevel`. */
export const FFMPEG_LOGLEVELS = [
  "quiet",
  "panic",
  "fatal",
  "error",
  "warning",
  "info",
  "verbose",
  "debug",
  "trace",
] as const;

/** Encoder presets shared by x264 and x265. */
export const ENCODER_PRESETS = [
  "ultrafast",
  "superfast",
  "veryfast",
  "faster",
  "fast",
  "medium",
  "slow",
  "slower",
  "veryslow",
  "placebo",
] as const;

/** The video codecs the encoder supports. */
export const VIDEO_CODECS = ["libx265", "libx264"] as const;

/** What the poller does when a channel renames itself on Twitch (src/poll/channel_renames.ts). */
export const FOLLOW_RENAMES = ["follow", "rewrite"] as const;

/** How the poller finds live channels (see src/poll/detect_live.ts). */
export const DETECT_MODES = ["auto", "gql", "helix", "streamlink"] as const;

/** Events a notification can be sent for (`notify.events`); see src/notify/notify_event.ts. */
export const NOTIFY_EVENTS = [
  "recording_started",
  "recording_finished",
  "recording_failed",
  "encode_finished",
  "encode_failed",
  "disk_low",
  "retention_deleted",
  "upload_finished",
  "upload_failed",
  "config_refused",
  "channel_renamed",
] as const;

/** The kinds of files `[upload] what` may name (see src/upload/upload_kind.ts). */
export const UPLOAD_KINDS = ["recording", "compressed", "chat", "info"] as const;

/** Placeholders `[upload] path_template` knows. */
export const PATH_TEMPLATE_FIELDS = ["user", "file", "host", "date"] as const;

/** `remote:path`, or a `:backend:` on-the-fly remote; never something rclone reads as a flag. */
function checkRemote(value: ConfigValue): string | undefined {
  const text = String(value);
  return /^(?:[A-Za-z0-9_][\w. -]*|:[a-z0-9]+(?:,[^:]*)?):/.test(text) && !text.startsWith("-")
    ? undefined
    : 'an rclone remote like "name:path"';
}

/** Known placeholders only, `{file}` among them, a relative path without `..`. */
function checkPathTemplate(value: ConfigValue): string | undefined {
  const text = String(value);
  const names = [...text.matchAll(/\{([^}]*)\}/g)].map((match) => match[1]);
  const known: readonly string[] = PATH_TEMPLATE_FIELDS;
  if (names.some((name) => !known.includes(name ?? ""))) {
    return `a path using only ${PATH_TEMPLATE_FIELDS.map((name) => `{${name}}`).join(", ")}`;
  }
  if (!names.includes("file")) return "a path with a {file} placeholder";
  if (text.startsWith("/") || text.split("/").includes("..")) return "a relative path without ..";
  return undefined;
}

/** Options only: the config file and its password come from their own keys or the environment. */
function checkExtraArgs(value: ConfigValue): string | undefined {
  const args = value as readonly string[];
  const banned = args.find((arg) => /^--(config|password-command|ask-password)(=|$)/.test(arg));
  return banned === undefined
    ? undefined
    : `rclone options other than ${JSON.stringify(banned)} (set "upload.rclone_config" instead)`;
}

/** `"K/N"` with 1 <= K <= N <= 1000. */
function checkShard(value: ConfigValue): string | undefined {
  const match = /^(\d+)\/(\d+)$/.exec(String(value));
  const [k, n] = match ? [Number(match[1]), Number(match[2])] : [0, 0];
  return k >= 1 && k <= n && n <= 1000 ? undefined : 'a shard like "1/3" (K of N, 1 <= K <= N)';
}

/**
 * The public Client-ID of Twitch's own web player, the one streamlink sends: it lets the poller
 * ask Twitch's GraphQL endpoint who is live without a registered app.
 */
export const TWITCH_WEB_CLIENT_ID = "kimne78kx3ncx6brgo4mv6wki5h1ko";

/** `poller.interval`'s default: seconds between cycles of streamlink probes (a process a channel). */
const PROBE_POLL_INTERVAL = 300;

/**
 * `poller.interval` when Twitch's API detects live channels and no layer sets it: one request
 * answers for many channels, so polling often is cheap (src/poll/detect_live.ts).
 */
export const API_POLL_INTERVAL = 30;

/** `~/Videos/TwitchTool` when `~/Videos` exists, else `~/Downloads/TwitchTool`. */
function recordDirDefault({ dirs, isDirectory }: DefaultContext): string {
  const videos = join(dirs.home, "Videos");
  return join(isDirectory(videos) ? videos : join(dirs.home, "Downloads"), "TwitchTool");
}

/**
 * `$XDG_RUNTIME_DIR/twitchtool`, else `<state dir>/run`: unlike the original tool's shared
 * `/tmp/twitchtool-<uid>`, which every HOME of the uid shared (so `HOME=$(mktemp -d)` runs saw
 * each other's locks) and anyone could pre-create in `/tmp`.
 */
function runtimeDirDefault({ dirs, env }: DefaultContext): string {
  const xdgRuntime = env("XDG_RUNTIME_DIR");
  return xdgRuntime ? join(xdgRuntime, "twitchtool") : join(dirs.stateDir, "run");
}

/**
 * The full key table, in the order of docs/configuration.md. `storage.disk_free_min_*` and
 * `retention.min_free_*` are each two spellings of one setting (`size`).
 */
const FIELD_TABLE = [
  {
    section: "paths",
    key: "record_dir",
    kind: "dir",
    default: recordDirDefault,
    option: { flags: "--output-dir <dir>", help: "where finished recordings go" },
    doc: "finished recordings",
    docsDefault: "`~/Videos/TwitchTool` if `~/Videos` exists, else `~/Downloads/TwitchTool`",
  },
  {
    section: "paths",
    key: "queue_dir",
    kind: "dir",
    option: { flags: "--queue-dir <dir>", help: "encode job queue" },
    default: ({ dirs }) => join(dirs.stateDir, "encode-queue"),
    env: "QUEUE_DIR",
    doc: "encode jobs (`jobs/` inside)",
  },
  {
    section: "paths",
    key: "logs_dir",
    kind: "dir",
    option: { flags: "--logs-dir <dir>", help: "where <user>.log recorder logs go" },
    default: ({ dirs }) => join(dirs.stateDir, "logs"),
    doc: "per-channel recorder logs",
  },
  {
    section: "paths",
    key: "runtime_dir",
    kind: "dir",
    default: runtimeDirDefault,
    doc: "slots and locks (mode 0700, see [Runtime dir](#runtime-dir))",
    docsDefault: "`$XDG_RUNTIME_DIR/twitchtool`, else `~/.local/state/twitchtool/run`",
  },
  {
    section: "logging",
    key: "max_log_mb",
    kind: "number",
    default: 50,
    min: 0,
    max: 1_000_000,
    doc: "MiB at which `<user>.log` rotates (3 old ones kept); 0 never rotates",
  },
  {
    section: "limits",
    key: "record_limit",
    kind: "int",
    default: 6,
    env: "RECORD_LIMIT",
    option: { flags: "--record-limit <n>", help: "concurrent recordings allowed" },
    min: 1,
    max: 64,
    doc: "concurrent recordings (1-64)",
  },
  {
    section: "storage",
    key: "disk_free_min_gb",
    size: "gb",
    kind: "number",
    default: 10,
    env: "DISK_FREE_MIN_GB",
    min: 0,
    doc: "minimum free space, GiB",
  },
  {
    section: "storage",
    key: "disk_free_min_bytes",
    size: "bytes",
    kind: "int",
    env: "DISK_FREE_MIN_BYTES",
    min: 0,
    doc: "same in bytes; wins over `_gb` from the same source",
  },
  {
    section: "record",
    key: "quality",
    kind: "string",
    default: "best",
    env: "QUALITY",
    option: { flags: "--quality <quality>", help: "streamlink quality, e.g. best, 720p60" },
    doc: "streamlink quality",
  },
  {
    section: "record",
    key: "retry_delay",
    kind: "number",
    default: 60,
    env: "RETRY_DELAY",
    option: {
      flags: "--retry-delay <seconds>",
      help: "longest wait between attempts while offline",
    },
    min: 0,
    doc: "seconds, longest wait between offline attempts",
  },
  {
    section: "record",
    key: "retry_window",
    kind: "number",
    default: 900,
    env: "RETRY_WINDOW",
    option: {
      flags: "--retry-window <seconds>",
      help: "give up this long after the last captured part",
    },
    min: 0,
    doc: "seconds after the last part before giving up",
  },
  {
    section: "record",
    key: "loglevel",
    kind: "string",
    default: "error",
    env: "LOGLEVEL",
    option: { flags: "--loglevel <level>", help: "streamlink log level" },
    choices: STREAMLINK_LOGLEVELS,
    doc: "streamlink log level",
  },
  {
    section: "record",
    key: "enable_remux",
    kind: "bool",
    default: true,
    env: "REMUX_ENABLED",
    option: { flags: "--remux", help: "remux to .mp4 and queue an encode job" },
    doc: "`.mp4` + encode job",
  },
  {
    section: "record",
    key: "delete_ts_after_remux",
    kind: "bool",
    default: true,
    env: "DELETE_TS_AFTER_REMUX",
    option: { flags: "--delete-ts-after-remux", help: "keep only the .mp4" },
    doc: "don't keep a merged `.ts` too",
  },
  {
    section: "record",
    key: "delete_input_on_success",
    kind: "bool",
    default: false,
    env: "DELETE_INPUT_ON_SUCCESS",
    option: {
      flags: "--delete-input-on-success",
      help: "encoder deletes the recording after encoding",
    },
    doc: "encoder deletes the input after success",
  },
  {
    section: "record",
    key: "live_remux",
    kind: "bool",
    default: true,
    env: "LIVE_REMUX",
    option: {
      flags: "--live-remux",
      help: "write the .mp4 while recording (fragmented MP4, parts kept as the fallback)",
    },
    doc: "write the `.mp4` while recording; parts-then-finalize stays the fallback (`false`: " +
      "finalize the parts after the broadcast, as the original did)",
  },
  {
    section: "encode_daemon",
    key: "preset",
    kind: "string",
    default: "medium",
    env: "ENCODER_PRESET",
    option: { flags: "--preset <preset>", help: "x265/x264 preset" },
    choices: ENCODER_PRESETS,
    doc: "x265/x264 preset",
  },
  {
    section: "encode_daemon",
    key: "crf",
    kind: "int",
    default: 26,
    env: "ENCODER_CRF",
    option: { flags: "--crf <n>", help: "constant rate factor, clamped to 0-51" },
    doc: "quality (clamped 0-51)",
  },
  {
    section: "encode_daemon",
    key: "threads",
    kind: "int",
    default: 1,
    env: "ENCODER_THREADS",
    option: { flags: "--threads <n>", help: "encoder threads, clamped to 0-64, 0 = auto" },
    doc: "encoder threads",
  },
  {
    section: "encode_daemon",
    key: "height",
    kind: "int",
    default: 480,
    env: "ENCODER_HEIGHT",
    option: { flags: "--height <px>", help: "output height, clamped to 144-2160" },
    doc: "output height (width follows, even)",
  },
  {
    section: "encode_daemon",
    key: "fps",
    kind: "fps",
    default: "auto",
    env: "ENCODER_FPS",
    option: { flags: "--fps <fps>", help: '"auto", a number or a fraction like 30000/1001' },
    doc: "`auto` keeps the source rate; a number or `30000/1001` forces it",
  },
  {
    section: "encode_daemon",
    key: "loglevel",
    kind: "string",
    default: "error",
    env: "ENCODER_LOGLEVEL",
    option: { flags: "--loglevel <level>", help: "ffmpeg log level" },
    choices: FFMPEG_LOGLEVELS,
    doc: "ffmpeg log level",
  },
  {
    section: "encode_daemon",
    key: "video_codec",
    kind: "string",
    default: "libx265",
    env: "ENCODER_VIDEO_CODEC",
    option: { flags: "--video-codec <codec>", help: "libx265 or libx264" },
    choices: VIDEO_CODECS,
    doc: "`libx265` or `libx264`",
  },
  {
    section: "encode_daemon",
    key: "audio_bitrate",
    kind: "string",
    default: "128k",
    env: "ENCODER_AUDIO_BITRATE",
    option: { flags: "--audio-bitrate <rate>", help: "AAC bitrate, e.g. 128k" },
    doc: "AAC bitrate",
  },
  {
    section: "poller",
    key: "users_file",
    kind: "file",
    option: { flags: "--users-file <path>", help: "channels to watch, one per line" },
    default: ({ dirs }) => join(dirs.configDir, "users.txt"),
    env: "USERS_FILE",
    doc: "channels to watch",
  },
  {
    section: "poller",
    key: "interval",
    kind: "number",
    default: PROBE_POLL_INTERVAL,
    env: "POLL_INTERVAL",
    option: { flags: "--interval <seconds>", help: "seconds between poll cycles" },
    min: 1,
    doc: "seconds between poll cycles",
    defaultDoc:
      `${API_POLL_INTERVAL} with Twitch's API, ${PROBE_POLL_INTERVAL} with streamlink probes`,
  },
  {
    section: "poller",
    key: "quality",
    kind: "string",
    default: "best",
    option: { flags: "--quality <quality>", help: "quality passed to launched recorders" },
    doc: "quality passed to launched recorders",
  },
  {
    section: "poller",
    key: "download_cmd",
    kind: "string",
    default: "twitchtool record",
    env: "DOWNLOAD_CMD",
    option: { flags: "--download-cmd <command>", help: "recorder command, no shell" },
    doc: "recorder command the poller launches",
  },
  {
    section: "poller",
    key: "timeout",
    kind: "number",
    default: 15,
    env: "PROBE_TIMEOUT",
    option: {
      flags: "--timeout <seconds>",
      help: "a probe slower than this counts as offline, an API request as failed",
    },
    min: 1,
    doc: "seconds before a probe counts as offline, an API request as failed",
  },
  {
    section: "poller",
    key: "probe_concurrency",
    kind: "int",
    default: 10,
    env: "PROBE_CONCURRENCY",
    option: { flags: "--probe-concurrency <n>", help: "probes (or API requests) run at once" },
    min: 1,
    max: 100,
    doc: "probes (or API requests) at once",
  },
  {
    section: "streamlink",
    key: "url_template",
    kind: "string",
    default: "https://twitch.tv/{user}",
    doc: "stream URL; `{user}` is replaced (tests use `hls://...`)",
  },
  {
    section: "streamlink",
    key: "extra_args",
    kind: "string_list",
    default: [],
    doc: "extra streamlink arguments, after twitchtool's own",
  },
  {
    section: "poller",
    key: "follow_renames",
    kind: "string",
    default: "follow",
    choices: FOLLOW_RENAMES,
    doc: "a renamed channel: `follow` it, or also `rewrite` the users file",
  },
  {
    section: "streamlink",
    key: "supported_codecs",
    kind: "string",
    default: "h264,h265",
    doc: "codecs offered to Twitch (`--twitch-supported-codecs`, streamlink 8.0+)",
  },
  {
    section: "twitch",
    key: "detect",
    kind: "string",
    default: "auto",
    env: "TWITCH_DETECT",
    choices: DETECT_MODES,
    doc: "live detection: `auto`, `gql`, `helix` or `streamlink` (below)",
  },
  {
    section: "twitch",
    key: "gql_url",
    kind: "string",
    default: "https://gql.twitch.tv/gql",
    env: "TWITCH_GQL_URL",
    doc: "GraphQL endpoint of the `gql` detector",
  },
  {
    section: "twitch",
    key: "gql_batch",
    kind: "int",
    default: 35,
    env: "TWITCH_GQL_BATCH",
    min: 1,
    max: 35,
    doc: "channels per GraphQL request (1-35; Twitch refuses more)",
  },
  {
    section: "twitch",
    key: "client_id",
    kind: "string",
    default: TWITCH_WEB_CLIENT_ID,
    env: "TWITCH_CLIENT_ID",
    doc: "Client-ID sent to the API (your app's for Helix)",
    docsDefault: "the public web Client-ID streamlink uses",
  },
  {
    section: "twitch",
    key: "client_secret",
    kind: "string",
    secret: true,
    env: "TWITCH_CLIENT_SECRET",
    doc: "your registered app's secret: enables Helix; never logged",
  },
  {
    section: "twitch",
    key: "helix_url",
    kind: "string",
    default: "https://api.twitch.tv/helix",
    env: "TWITCH_HELIX_URL",
    doc: "Helix API base URL",
  },
  {
    section: "twitch",
    key: "oauth_url",
    kind: "string",
    default: "https://id.twitch.tv/oauth2/token",
    env: "TWITCH_OAUTH_URL",
    doc: "where the Helix app token comes from",
  },
  {
    section: "twitch",
    key: "backfill",
    kind: "bool",
    default: false,
    doc: "fill what the recording missed from the broadcast's VOD at finalize (opt-in)",
  },
  {
    section: "twitch",
    key: "vod_url_template",
    kind: "string",
    default: "https://www.twitch.tv/videos/{id}",
    doc: "VOD URL for back-fill; `{id}` is replaced by the archive video id",
  },
  {
    section: "notify",
    key: "urls",
    kind: "string_list",
    secret: true,
    default: [],
    doc: "Notification targets as Apprise URLs (secrets inside are never logged)",
  },
  {
    section: "notify",
    key: "events",
    kind: "string_list",
    default: NOTIFY_EVENTS,
    choices: NOTIFY_EVENTS,
    doc: "Events to notify (default: all)",
    docsDefault: "all",
  },
  {
    section: "notify",
    key: "give_up_after",
    kind: "number",
    default: 300,
    min: 0,
    doc: "Seconds after its event a notification is retried, then dropped (one log line, a count)",
  },
  {
    section: "retention",
    key: "min_free_gb",
    size: "gb",
    kind: "number",
    min: 0,
    doc: "Delete old recordings to keep this many GiB free (opt-in)",
  },
  {
    section: "retention",
    key: "min_free_bytes",
    size: "bytes",
    kind: "int",
    min: 0,
    doc: "Same in bytes (wins over _gb)",
  },
  {
    section: "retention",
    key: "max_age_days",
    kind: "number",
    min: 0,
    doc: "Delete recordings whose broadcast is older than this (opt-in)",
  },
  {
    section: "retention",
    key: "keep_per_channel",
    kind: "int",
    min: 1,
    doc: "Keep only this many newest broadcasts per channel (opt-in)",
  },
  {
    section: "web",
    key: "listen",
    kind: "string",
    option: { flags: "--web <host:port>", help: "serve the status page and /metrics there" },
    doc: 'Serve the status page and /metrics at host:port (off when unset; e.g. "127.0.0.1:8686")',
  },
  {
    section: "web",
    key: "token",
    kind: "string",
    doc: "Bearer token the page requires; mandatory for a non-loopback listen (never logged)",
  },
  {
    section: "chat",
    key: "enabled",
    kind: "bool",
    default: false,
    option: { flags: "--chat", help: "capture live chat into <name>.chat.json" },
    doc: "Capture live chat into <name>.chat.json beside each recording",
  },
  {
    section: "chat",
    key: "url",
    kind: "string",
    default: "wss://irc-ws.chat.twitch.tv:443",
    schemes: ["ws:", "wss:"],
    doc: "Twitch chat (IRC over WebSocket) endpoint, a `ws://` or `wss://` URL",
  },
  // Uploads (issue 26, docs/uploads.md) and shards: one block, so merges stay easy.
  {
    section: "upload",
    key: "remote",
    kind: "string",
    env: "UPLOAD_REMOTE",
    check: checkRemote,
    doc: "rclone `remote:path` the recordings go to (uploads are off when unset)",
  },
  {
    section: "upload",
    key: "rclone_config",
    kind: "file",
    doc: "rclone config file (passed with `--config`; default: rclone's own)",
  },
  {
    section: "upload",
    key: "delete_local",
    kind: "bool",
    default: false,
    doc: "delete the local copy once its upload is verified (size and hash)",
  },
  {
    section: "upload",
    key: "what",
    kind: "string_list",
    default: UPLOAD_KINDS,
    choices: UPLOAD_KINDS,
    doc: "which files go: `recording`, `compressed`, `chat`, `info` (default: all)",
    docsDefault: "all",
  },
  {
    section: "upload",
    key: "path_template",
    kind: "string",
    default: "{user}/{file}",
    check: checkPathTemplate,
    doc: "path under `remote`: `{user}`, `{file}`, `{host}`, `{date}` (YYYY-MM-DD)",
  },
  {
    section: "upload",
    key: "extra_args",
    kind: "string_list",
    default: [],
    check: checkExtraArgs,
    doc: 'extra rclone arguments, e.g. `["--bwlimit", "8M"]`',
  },
  {
    section: "retention",
    key: "delete_unuploaded",
    kind: "bool",
    default: false,
    doc: "while uploads are configured, let retention delete files not uploaded yet",
  },
  {
    section: "poller",
    key: "shard",
    kind: "string",
    check: checkShard,
    doc: 'record only the channels a hash of the login assigns to shard K of N (`"K/N"`)',
  },
] as const satisfies readonly FieldSpec[];

/** The key table (see {@link FIELD_TABLE}). */
export const CONFIG_FIELDS: readonly FieldSpec[] = FIELD_TABLE;

/** The key table's exact type, from which `SchemaConfig` (schema_config.ts) derives value types. */
export type SchemaFields = typeof FIELD_TABLE;

/** `section.key`, the name used in messages and overrides. */
export function fieldName(field: FieldSpec): string {
  return `${field.section}.${field.key}`;
}

/** The field named `section.key`, or undefined for a name the schema does not know. */
export function findField(name: string): FieldSpec | undefined {
  return CONFIG_FIELDS.find((field) => fieldName(field) === name);
}

// The defaults on this machine: HOME and the XDG folders, and every key's default from the table.

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
 * Every key's default keyed `section.key`, as the schema (schema.ts) states it for this machine;
 * keys without one are absent.
 */
export function defaultValues(
  dirs: BaseDirs,
  env: EnvReader,
  isDirectory: (path: string) => boolean,
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const field of CONFIG_FIELDS) {
    if (field.default === undefined) continue;
    values[fieldName(field)] = defaultOf(field, { dirs, env, isDirectory });
  }
  return values;
}

/** One field's default on this machine (a fresh copy of a list); undefined when it has none. */
export function defaultOf(field: FieldSpec, machine: DefaultContext): unknown {
  const value = field.default;
  if (typeof value === "function") return value(machine);
  return Array.isArray(value) ? [...value] : value;
}

// Per-channel tables (issue 27): `[channel.<login>]` overrides a few keys for one channel.

/** How a `[channel.<login>]` key is read: a global key's kind, or `notify`'s on/off-or-events. */
export type ChannelKeyKind = "string" | "bool" | "int" | "number" | "string_list" | "notify";

/** One key of a `[channel.<login>]` table. */
export interface ChannelKeySpec {
  readonly key: string;
  readonly kind: ChannelKeyKind;
  /** The global key this one overrides for the channel (absent: the feature has no global key). */
  readonly overrides?: string;
  readonly min?: number;
  /** One-line meaning (Markdown) for docs/configuration.md. */
  readonly doc: string;
}

/**
 * The keys a `[channel.<login>]` table may set, validated like the global key each overrides.
 * A channel's value wins over the file, the environment and the default; only a flag given to
 * `record` itself (`--quality`) wins over it.
 */
export const CHANNEL_KEYS = [
  {
    key: "quality",
    kind: "string",
    overrides: "record.quality",
    doc: "streamlink quality for this channel (`poller.quality`/`record.quality` otherwise)",
  },
  { key: "chat", kind: "bool", overrides: "chat.enabled", doc: "capture this channel's chat" },
  {
    key: "backfill",
    kind: "bool",
    overrides: "twitch.backfill",
    doc: "fill gaps from this channel's VOD",
  },
  {
    key: "keep",
    kind: "int",
    overrides: "retention.keep_per_channel",
    min: 1,
    doc: "newest broadcasts retention keeps for this channel",
  },
  {
    key: "max_age_days",
    kind: "number",
    overrides: "retention.max_age_days",
    min: 0,
    doc: "days retention keeps this channel's recordings",
  },
  { key: "upload", kind: "bool", doc: "upload this channel's recordings (on/off)" },
  {
    key: "notify",
    kind: "notify",
    overrides: "notify.events",
    doc: "`true`/`false`, or the events to notify for this channel",
  },
  {
    key: "extra_args",
    kind: "string_list",
    overrides: "streamlink.extra_args",
    doc: "streamlink arguments appended to `streamlink.extra_args` for this channel",
  },
] as const satisfies readonly ChannelKeySpec[];

/** The section name of per-channel tables: `[channel.<login>]`. */
export const CHANNEL_SECTION = "channel";
