import type {
  DETECT_MODES,
  ENCODER_PRESETS,
  FFMPEG_LOGLEVELS,
  FOLLOW_RENAMES,
  STREAMLINK_LOGLEVELS,
  VIDEO_CODECS,
} from "./schema.ts";
import type { ValueOrigin } from "./value_origin.ts";
import type { ChannelTable } from "./channel_tables.ts";

/**
 * The resolved configuration every command works from: a camelCase mirror of the schema's keys
 * (assemble_config.ts fills it by name), written out here to document each value;
 * schema_config_test.ts fails to compile when it drifts from the schema.
 */
export interface Config {
  /** The config file in effect and whether it existed. */
  readonly source: { readonly path: string; readonly exists: boolean };
  /** Where each key not left at its default was set (`section.key` to flag/variable/file:line). */
  readonly origins?: Readonly<Record<string, ValueOrigin>>;
  /**
   * The `[channel.<login>]` tables by lower-case login; read them through `channelSettings()`
   * (channel_settings.ts), which applies them over the global keys.
   */
  readonly channels?: Readonly<Record<string, ChannelTable>>;
  readonly paths: {
    readonly recordDir: string;
    readonly queueDir: string;
    readonly logsDir: string;
    readonly runtimeDir: string;
    /** `~/.local/state/twitchtool`: pid and status files of the daemons. */
    readonly stateDir: string;
    /** The session folder, derived from `record_dir` (`tempDirFor`); not a key users set. */
    readonly tempDir: string;
  };
  readonly limits: { readonly recordLimit: number };
  /** `[logging]`: rotation of the per-channel logs (`state/log_rotation.ts`). */
  readonly logging: { readonly maxLogMb: number };
  readonly storage: { readonly diskFreeMinBytes: number };
  readonly record: {
    readonly quality: string;
    readonly retryDelay: number;
    readonly retryWindow: number;
    readonly loglevel: typeof STREAMLINK_LOGLEVELS[number];
    readonly enableRemux: boolean;
    readonly deleteTsAfterRemux: boolean;
    readonly deleteInputOnSuccess: boolean;
  };
  readonly encodeDaemon: {
    readonly preset: typeof ENCODER_PRESETS[number];
    readonly crf: number;
    readonly threads: number;
    readonly height: number;
    readonly fps: string;
    readonly loglevel: typeof FFMPEG_LOGLEVELS[number];
    readonly videoCodec: typeof VIDEO_CODECS[number];
    readonly audioBitrate: string;
  };
  readonly poller: {
    readonly usersFile: string;
    readonly interval: number;
    /** Whether `interval` came from a flag, the environment or the file (else the default). */
    readonly intervalSet: boolean;
    readonly quality: string;
    readonly downloadCmd: string;
    readonly timeout: number;
    readonly probeConcurrency: number;
    /** A channel renamed on Twitch: followed; `rewrite` also edits the users file. */
    readonly followRenames: typeof FOLLOW_RENAMES[number];
  };
  readonly streamlink: {
    readonly urlTemplate: string;
    readonly extraArgs: readonly string[];
    /** Passed as `--twitch-supported-codecs` when the installed streamlink is 8.0 or newer. */
    readonly supportedCodecs: string;
  };
  readonly twitch: {
    readonly detect: typeof DETECT_MODES[number];
    readonly gqlUrl: string;
    readonly gqlBatch: number;
    readonly clientId: string;
    /** Only set by the user; never logged or written to a status file. */
    readonly clientSecret: string | undefined;
    readonly helixUrl: string;
    readonly oauthUrl: string;
    /** Fill what the parts missed from the broadcast's VOD at finalize (`record/backfill_vod.ts`). */
    readonly backfill: boolean;
    /** The VOD's streamlink URL; `{id}` is the archive video id. */
    readonly vodUrlTemplate: string;
  };
  readonly notify: {
    /** Apprise-syntax URLs; they may hold secrets, so never log or print them as they are. */
    readonly urls: readonly string[];
    /** Event names to notify (all by default). */
    readonly events: readonly string[];
    /** Seconds a message is retried before it is dropped. */
    readonly giveUpAfter: number;
  };
  /** Opt-in: every field unset means retention never deletes anything. */
  readonly retention: {
    readonly minFreeBytes: number | undefined;
    readonly maxAgeDays: number | undefined;
    readonly keepPerChannel: number | undefined;
  };
  /** The status page and metrics (`src/web/`); both unset by default. */
  readonly web: {
    /** `host:port` to listen on; `undefined` serves nothing. */
    readonly listen: string | undefined;
    /** Required for a non-loopback listen; never logged or shown. */
    readonly token: string | undefined;
  };
  /** Live chat capture (`src/chat/`). */
  readonly chat: { readonly enabled: boolean; readonly url: string };
}

/** One GiB, the unit of `disk_free_min_gb`. */
export const GIB = 1024 ** 3;
