import type { SchemaConfig } from "./schema_config.ts";
import type { ValueOrigin } from "./value_origin.ts";
import type { ChannelTable } from "./channel_tables.ts";

/**
 * The resolved configuration every command works from: each schema key under its camelCase name
 * (`[encode_daemon] video_codec` is `config.encodeDaemon.videoCodec`, schema_config.ts), typed
 * from its kind, choices and default and documented by its `doc` in schema.ts, plus the few
 * values that are not keys, documented here. assemble_config.ts fills it.
 */
export type Config = Omit<SchemaConfig, "paths" | "poller"> & {
  /** The config file in effect and whether it existed. */
  readonly source: { readonly path: string; readonly exists: boolean };
  /** Where each key not left at its default was set (`section.key` to flag/variable/file:line). */
  readonly origins?: Readonly<Record<string, ValueOrigin>>;
  /**
   * The `[channel.<login>]` tables by lower-case login; read them through `channelSettings()`
   * (channel_settings.ts), which applies them over the global keys.
   */
  readonly channels?: Readonly<Record<string, ChannelTable>>;
  /**
   * The renames followed on Twitch (`<state_dir>/channels.json`, oldest first), so a channel's
   * table follows it to its new login (`withChannelRenames()`, channel_settings.ts).
   */
  readonly channelRenames?: readonly { readonly from: string; readonly to: string }[];
  readonly paths: SchemaConfig["paths"] & {
    /** `~/.local/state/twitchtool`: pid and status files of the daemons. */
    readonly stateDir: string;
    /** The session folder, derived from `record_dir` (`tempDirFor`); not a key users set. */
    readonly tempDir: string;
  };
  readonly poller: SchemaConfig["poller"] & {
    /** Whether `interval` came from a flag, the environment or the file (else the default). */
    readonly intervalSet: boolean;
  };
};

/** One GiB, the unit of `disk_free_min_gb`. */
export const GIB = 1024 ** 3;
