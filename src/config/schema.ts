/**
 * Every configuration key, once: its TOML section and name, value kind, environment variable
 * and bounds. Loading, validation, unknown-key errors, `--help` and docs/configuration.md
 * (`deno task docs`) all read this table, so a key cannot exist in one place and be missing in
 * another.
 */

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

/** One configuration key. */
export interface FieldSpec {
  readonly section: string;
  readonly key: string;
  readonly kind: FieldKind;
  /** Environment variable that overrides the file (precedence CLI > env > file > defaults). */
  readonly env?: string;
  readonly min?: number;
  readonly max?: number;
  readonly choices?: readonly string[];
  /** One-line meaning (Markdown) for the key table of docs/configuration.md (`deno task docs`). */
  readonly doc: string;
  /** How `--help` and the docs state the default when it depends on other settings (else the plain value). */
  readonly defaultDoc?: string;
  /**
   * How docs/configuration.md states a default that depends on the machine (Markdown); `--help`
   * shows the value computed on the machine it runs on instead.
   */
  readonly docsDefault?: string;
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
] as const;

/** The full key table. `storage.disk_free_min_*` are two spellings of one setting. */
export const CONFIG_FIELDS: readonly FieldSpec[] = [
  {
    section: "paths",
    key: "record_dir",
    kind: "dir",
    doc: "finished recordings",
    docsDefault: "`~/Videos/TwitchTool` if `~/Videos` exists, else `~/Downloads/TwitchTool`",
  },
  {
    section: "paths",
    key: "queue_dir",
    kind: "dir",
    env: "QUEUE_DIR",
    doc: "encode jobs (`jobs/` inside)",
  },
  { section: "paths", key: "logs_dir", kind: "dir", doc: "per-channel recorder logs" },
  {
    section: "paths",
    key: "runtime_dir",
    kind: "dir",
    doc: "slots and locks (mode 0700, see [Runtime dir](#runtime-dir))",
    docsDefault: "`$XDG_RUNTIME_DIR/twitchtool`, else `~/.local/state/twitchtool/run`",
  },
  {
    section: "logging",
    key: "max_log_mb",
    kind: "number",
    min: 0,
    max: 1_000_000,
    doc: "MiB at which `<user>.log` rotates (3 old ones kept); 0 never rotates",
  },
  {
    section: "limits",
    key: "record_limit",
    kind: "int",
    env: "RECORD_LIMIT",
    min: 1,
    max: 64,
    doc: "concurrent recordings (1-64)",
  },
  {
    section: "storage",
    key: "disk_free_min_gb",
    kind: "number",
    env: "DISK_FREE_MIN_GB",
    min: 0,
    doc: "minimum free space, GiB",
  },
  {
    section: "storage",
    key: "disk_free_min_bytes",
    kind: "int",
    env: "DISK_FREE_MIN_BYTES",
    min: 0,
    doc: "same in bytes; wins over `_gb` from the same source",
  },
  {
    section: "record",
    key: "quality",
    kind: "string",
    env: "QUALITY",
    doc: "streamlink quality",
  },
  {
    section: "record",
    key: "retry_delay",
    kind: "number",
    env: "RETRY_DELAY",
    min: 0,
    doc: "seconds, longest wait between offline attempts",
  },
  {
    section: "record",
    key: "retry_window",
    kind: "number",
    env: "RETRY_WINDOW",
    min: 0,
    doc: "seconds after the last part before giving up",
  },
  {
    section: "record",
    key: "loglevel",
    kind: "string",
    env: "LOGLEVEL",
    choices: STREAMLINK_LOGLEVELS,
    doc: "streamlink log level",
  },
  {
    section: "record",
    key: "enable_remux",
    kind: "bool",
    env: "REMUX_ENABLED",
    doc: "`.mp4` + encode job",
  },
  {
    section: "record",
    key: "delete_ts_after_remux",
    kind: "bool",
    env: "DELETE_TS_AFTER_REMUX",
    doc: "don't keep a merged `.ts` too",
  },
  {
    section: "record",
    key: "delete_input_on_success",
    kind: "bool",
    env: "DELETE_INPUT_ON_SUCCESS",
    doc: "encoder deletes the input after success",
  },
  {
    section: "encode_daemon",
    key: "preset",
    kind: "string",
    env: "ENCODER_PRESET",
    choices: ENCODER_PRESETS,
    doc: "x265/x264 preset",
  },
  {
    section: "encode_daemon",
    key: "crf",
    kind: "int",
    env: "ENCODER_CRF",
    doc: "quality (clamped 0-51)",
  },
  {
    section: "encode_daemon",
    key: "threads",
    kind: "int",
    env: "ENCODER_THREADS",
    doc: "encoder threads",
  },
  {
    section: "encode_daemon",
    key: "height",
    kind: "int",
    env: "ENCODER_HEIGHT",
    doc: "output height (width follows, even)",
  },
  {
    section: "encode_daemon",
    key: "fps",
    kind: "fps",
    env: "ENCODER_FPS",
    doc: "`auto` keeps the source rate; a number or `30000/1001` forces it",
  },
  {
    section: "encode_daemon",
    key: "loglevel",
    kind: "string",
    env: "ENCODER_LOGLEVEL",
    choices: FFMPEG_LOGLEVELS,
    doc: "ffmpeg log level",
  },
  {
    section: "encode_daemon",
    key: "video_codec",
    kind: "string",
    env: "ENCODER_VIDEO_CODEC",
    choices: VIDEO_CODECS,
    doc: "`libx265` or `libx264`",
  },
  {
    section: "encode_daemon",
    key: "audio_bitrate",
    kind: "string",
    env: "ENCODER_AUDIO_BITRATE",
    doc: "AAC bitrate",
  },
  {
    section: "poller",
    key: "users_file",
    kind: "file",
    env: "USERS_FILE",
    doc: "channels to watch",
  },
  {
    section: "poller",
    key: "interval",
    kind: "number",
    env: "POLL_INTERVAL",
    min: 1,
    doc: "seconds between poll cycles",
    defaultDoc: "30 with Twitch's API, 300 with streamlink probes",
  },
  {
    section: "poller",
    key: "quality",
    kind: "string",
    doc: "quality passed to launched recorders",
  },
  {
    section: "poller",
    key: "download_cmd",
    kind: "string",
    env: "DOWNLOAD_CMD",
    doc: "recorder command the poller launches",
  },
  {
    section: "poller",
    key: "timeout",
    kind: "number",
    env: "PROBE_TIMEOUT",
    min: 1,
    doc: "seconds before a probe counts as offline, an API request as failed",
  },
  {
    section: "poller",
    key: "probe_concurrency",
    kind: "int",
    env: "PROBE_CONCURRENCY",
    min: 1,
    max: 100,
    doc: "probes (or API requests) at once",
  },
  {
    section: "streamlink",
    key: "url_template",
    kind: "string",
    doc: "stream URL; `{user}` is replaced (tests use `hls://...`)",
  },
  {
    section: "streamlink",
    key: "extra_args",
    kind: "string_list",
    doc: "extra streamlink arguments, after twitchtool's own",
  },
  {
    section: "twitch",
    key: "detect",
    kind: "string",
    env: "TWITCH_DETECT",
    choices: DETECT_MODES,
    doc: "live detection: `auto`, `gql`, `helix` or `streamlink` (below)",
  },
  {
    section: "twitch",
    key: "gql_url",
    kind: "string",
    env: "TWITCH_GQL_URL",
    doc: "GraphQL endpoint of the `gql` detector",
  },
  {
    section: "twitch",
    key: "gql_batch",
    kind: "int",
    env: "TWITCH_GQL_BATCH",
    min: 1,
    max: 35,
    doc: "channels per GraphQL request (1-35; Twitch refuses more)",
  },
  {
    section: "twitch",
    key: "client_id",
    kind: "string",
    env: "TWITCH_CLIENT_ID",
    doc: "Client-ID sent to the API (your app's for Helix)",
    docsDefault: "the public web Client-ID streamlink uses",
  },
  {
    section: "twitch",
    key: "client_secret",
    kind: "string",
    env: "TWITCH_CLIENT_SECRET",
    doc: "your registered app's secret: enables Helix; never logged",
  },
  {
    section: "twitch",
    key: "helix_url",
    kind: "string",
    env: "TWITCH_HELIX_URL",
    doc: "Helix API base URL",
  },
  {
    section: "twitch",
    key: "oauth_url",
    kind: "string",
    env: "TWITCH_OAUTH_URL",
    doc: "where the Helix app token comes from",
  },
  {
    section: "twitch",
    key: "backfill",
    kind: "bool",
    doc: "fill what the recording missed from the broadcast's VOD at finalize (opt-in)",
  },
  {
    section: "twitch",
    key: "vod_url_template",
    kind: "string",
    doc: "VOD URL for back-fill; `{id}` is replaced by the archive video id",
  },
  {
    section: "notify",
    key: "urls",
    kind: "string_list",
    doc: "Notification targets as Apprise URLs (secrets inside are never logged)",
  },
  {
    section: "notify",
    key: "events",
    kind: "string_list",
    choices: NOTIFY_EVENTS,
    doc: "Events to notify (default: all)",
  },
  {
    section: "notify",
    key: "give_up_after",
    kind: "number",
    min: 0,
    doc: "Seconds a notification is retried before it is dropped with one log line",
  },
  {
    section: "retention",
    key: "min_free_gb",
    kind: "number",
    min: 0,
    doc: "Delete old recordings to keep this many GiB free (opt-in)",
  },
  {
    section: "retention",
    key: "min_free_bytes",
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
    doc: "Capture live chat into <name>.chat.json beside each recording",
  },
  {
    section: "chat",
    key: "url",
    kind: "string",
    doc: "Twitch chat (IRC over WebSocket) endpoint",
  },
];

/** `section.key`, the name used in messages and overrides. */
export function fieldName(field: FieldSpec): string {
  return `${field.section}.${field.key}`;
}
