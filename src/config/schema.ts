/**
 * Every configuration key, once: its TOML section and name, value kind, environment variable
 * and bounds. Loading, validation, unknown-key warnings and the README reference all read this
 * table, so a key cannot exist in one place and be missing in another.
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
  /** One-line description for `--help`/README. */
  readonly doc: string;
  /** How `--help` states the default when it depends on other settings (else the plain value). */
  readonly defaultDoc?: string;
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

/** The full key table. `storage.disk_free_min_*` are two spellings of one setting. */
export const CONFIG_FIELDS: readonly FieldSpec[] = [
  { section: "paths", key: "record_dir", kind: "dir", doc: "Where finished recordings go" },
  {
    section: "paths",
    key: "queue_dir",
    kind: "dir",
    env: "QUEUE_DIR",
    doc: "Encode job queue (jobs/ inside)",
  },
  { section: "paths", key: "logs_dir", kind: "dir", doc: "Per-channel recorder logs" },
  {
    section: "paths",
    key: "runtime_dir",
    kind: "dir",
    doc: "Slot files and locks (mode 0700)",
  },
  {
    section: "limits",
    key: "record_limit",
    kind: "int",
    env: "RECORD_LIMIT",
    min: 1,
    max: 64,
    doc: "Concurrent recordings allowed",
  },
  {
    section: "storage",
    key: "disk_free_min_gb",
    kind: "number",
    env: "DISK_FREE_MIN_GB",
    min: 0,
    doc: "Minimum free space in GiB",
  },
  {
    section: "storage",
    key: "disk_free_min_bytes",
    kind: "int",
    env: "DISK_FREE_MIN_BYTES",
    min: 0,
    doc: "Minimum free space in bytes (wins over _gb)",
  },
  {
    section: "record",
    key: "quality",
    kind: "string",
    env: "QUALITY",
    doc: "streamlink quality (best, 720p60, ...)",
  },
  {
    section: "record",
    key: "retry_delay",
    kind: "number",
    env: "RETRY_DELAY",
    min: 0,
    doc: "Seconds between attempts while offline",
  },
  {
    section: "record",
    key: "retry_window",
    kind: "number",
    env: "RETRY_WINDOW",
    min: 0,
    doc: "Give up this many seconds after the last part",
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
    doc: "Remux to .mp4 and enqueue an encode job",
  },
  {
    section: "record",
    key: "delete_ts_after_remux",
    kind: "bool",
    env: "DELETE_TS_AFTER_REMUX",
    doc: "Do not keep a merged .ts beside the .mp4",
  },
  {
    section: "record",
    key: "delete_input_on_success",
    kind: "bool",
    env: "DELETE_INPUT_ON_SUCCESS",
    doc: "Encoder deletes the input after a good encode",
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
    doc: "Constant rate factor (clamped to 0-51)",
  },
  {
    section: "encode_daemon",
    key: "threads",
    kind: "int",
    env: "ENCODER_THREADS",
    doc: "Encoder threads (clamped to 0-64, 0 = auto)",
  },
  {
    section: "encode_daemon",
    key: "height",
    kind: "int",
    env: "ENCODER_HEIGHT",
    doc: "Output height (clamped to 144-2160)",
  },
  {
    section: "encode_daemon",
    key: "fps",
    kind: "fps",
    env: "ENCODER_FPS",
    doc: '"auto", a number or a fraction like 30000/1001',
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
    doc: "libx265 or libx264",
  },
  {
    section: "encode_daemon",
    key: "audio_bitrate",
    kind: "string",
    env: "ENCODER_AUDIO_BITRATE",
    doc: "AAC bitrate, e.g. 128k",
  },
  {
    section: "poller",
    key: "users_file",
    kind: "file",
    env: "USERS_FILE",
    doc: "Channels to watch, one per line",
  },
  {
    section: "poller",
    key: "interval",
    kind: "number",
    env: "POLL_INTERVAL",
    min: 1,
    doc: "Seconds between poll cycles",
    defaultDoc: "30 with Twitch's API, 300 with streamlink probes",
  },
  {
    section: "poller",
    key: "quality",
    kind: "string",
    doc: "Quality passed to launched recorders",
  },
  {
    section: "poller",
    key: "download_cmd",
    kind: "string",
    env: "DOWNLOAD_CMD",
    doc: "Recorder command the poller launches",
  },
  {
    section: "poller",
    key: "timeout",
    kind: "number",
    env: "PROBE_TIMEOUT",
    min: 1,
    doc: "Seconds before a probe counts as offline (or an API request as failed)",
  },
  {
    section: "poller",
    key: "probe_concurrency",
    kind: "int",
    env: "PROBE_CONCURRENCY",
    min: 1,
    max: 100,
    doc: "Probes (or API requests) run at once",
  },
  {
    section: "streamlink",
    key: "url_template",
    kind: "string",
    doc: "Stream URL, {user} is replaced",
  },
  {
    section: "streamlink",
    key: "extra_args",
    kind: "string_list",
    doc: "Extra streamlink arguments",
  },
  {
    section: "twitch",
    key: "detect",
    kind: "string",
    env: "TWITCH_DETECT",
    choices: DETECT_MODES,
    doc: "Live detection: auto (API for Twitch URLs), gql, helix or streamlink",
  },
  {
    section: "twitch",
    key: "gql_url",
    kind: "string",
    env: "TWITCH_GQL_URL",
    doc: "Twitch GraphQL endpoint used by the gql detector",
  },
  {
    section: "twitch",
    key: "gql_batch",
    kind: "int",
    env: "TWITCH_GQL_BATCH",
    min: 1,
    max: 35,
    doc: "Channels per GraphQL request (35 is Twitch's ceiling)",
  },
  {
    section: "twitch",
    key: "client_id",
    kind: "string",
    env: "TWITCH_CLIENT_ID",
    doc: "Client-ID sent to the API (default: the public web one)",
  },
  {
    section: "twitch",
    key: "client_secret",
    kind: "string",
    env: "TWITCH_CLIENT_SECRET",
    doc: "Secret of your registered app; enables Helix (never logged)",
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
    doc: "OAuth token endpoint for the Helix app token",
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
