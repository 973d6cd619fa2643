/**
 * One channel's effective settings: its `[channel.<login>]` table over the global keys, each
 * with where it came from. The poller, a recording, retention and `users list`/`config` all ask
 * here, so "which quality does alice get" has one answer.
 */
import type { ChannelKey, ChannelTable } from "./channel_tables.ts";
import type { Config } from "./config.ts";
import { CHANNEL_KEYS } from "./schema.ts";
import type { ValueOrigin } from "./value_origin.ts";

/** Where an effective channel value came from: its table, or the global key's origin. */
export interface SettingOrigin {
  readonly source: "channel" | ValueOrigin["source"] | "default";
  /** `[channel.alice]` at `file:line`, the flag, the variable, the file:line, or the key. */
  readonly label: string;
}

/** The values a channel's recording, retention and notifications use. */
export interface ChannelSettings {
  readonly quality: string;
  readonly chat: boolean;
  readonly backfill: boolean;
  readonly keep: number | undefined;
  readonly maxAgeDays: number | undefined;
  /** The channel's own on/off for uploads; `undefined` follows the upload feature's own setting. */
  readonly upload: boolean | undefined;
  /** The events notified for this channel (empty: none). */
  readonly notify: readonly string[];
  /** `streamlink.extra_args` followed by the channel's own. */
  readonly extraArgs: readonly string[];
  /**
   * The login whose `[channel.<login>]` table applies: the channel's own, or after a rename on
   * Twitch the table of an earlier name until the user writes one for the new; undefined: none.
   */
  readonly table: string | undefined;
  readonly origins: Readonly<Record<ChannelKey, SettingOrigin>>;
}

/** Options of {@link channelSettings}. */
export interface ChannelSettingsOptions {
  /**
   * A `--quality` flag given to this very command wins over the channel's table (`record
   * alice --quality 480p`); a flag given to the poller is global and does not.
   */
  readonly flagWins?: boolean;
}

/** `login`'s effective settings (see the module doc). */
export function channelSettings(
  config: Config,
  login: string,
  options: ChannelSettingsOptions = {},
): ChannelSettings {
  const tableLogin = [login.toLowerCase(), ...earlierLogins(config, login)]
    .find((name) => config.channels?.[name] !== undefined);
  const table = tableLogin === undefined ? undefined : config.channels?.[tableLogin];
  const globals: Record<ChannelKey, unknown> = {
    quality: config.record.quality,
    chat: config.chat.enabled,
    backfill: config.twitch.backfill,
    keep: config.retention.keepPerChannel,
    max_age_days: config.retention.maxAgeDays,
    upload: undefined,
    notify: config.notify.events,
    extra_args: config.streamlink.extraArgs,
  };
  const values = { ...globals };
  const origins = {} as Record<ChannelKey, SettingOrigin>;
  for (const spec of CHANNEL_KEYS) {
    const key: ChannelKey = spec.key;
    const global = "overrides" in spec ? spec.overrides : undefined;
    const globalOrigin = global ? config.origins?.[global] : undefined;
    const flagged = options.flagWins && key === "quality" && globalOrigin?.source === "cli";
    const own = table?.values[key];
    if (own === undefined || flagged) {
      origins[key] = globalOrigin ?? { source: "default", label: global ?? "" };
      continue;
    }
    origins[key] = {
      source: "channel",
      label: `[channel.${tableLogin}] ${table?.labels[key] ?? ""}`.trim(),
    };
    values[key] = channelValue(key, own, globals[key]);
  }
  return {
    quality: values.quality as string,
    chat: values.chat as boolean,
    backfill: values.backfill as boolean,
    keep: values.keep as number | undefined,
    maxAgeDays: values.max_age_days as number | undefined,
    upload: values.upload as boolean | undefined,
    notify: values.notify as readonly string[],
    extraArgs: values.extra_args as readonly string[],
    table: tableLogin,
    origins,
  };
}

/** `config` knowing the renames followed on Twitch (see {@link Config.channelRenames}). */
export function withChannelRenames(
  config: Config,
  renames: readonly { readonly from: string; readonly to: string }[],
): Config {
  return renames.length === 0 && !config.channelRenames
    ? config
    : { ...config, channelRenames: renames };
}

/**
 * The names `login` went by before its renames on Twitch, newest first (`a` renamed `b`, then
 * `b` renamed `c`: `c` was `b`, then `a`).
 */
export function earlierLogins(config: Config, login: string): string[] {
  const names: string[] = [];
  let name = login.toLowerCase();
  for (const rename of [...config.channelRenames ?? []].reverse()) {
    if (rename.to !== name || names.includes(rename.from)) continue;
    name = rename.from;
    names.push(name);
  }
  return names;
}

/** A table's value as the effective one: `notify = true` means the global events, lists append. */
function channelValue(key: ChannelKey, own: unknown, global: unknown): unknown {
  if (key === "notify" && typeof own === "boolean") return own ? global : [];
  if (key === "extra_args") return [...(global as readonly string[]), ...(own as string[])];
  return own;
}

/**
 * The config as one channel's recording sees it: the global keys its table overrides replaced
 * by its values, so code that reads `config.record.quality` gets the channel's.
 */
export function channelConfig(
  config: Config,
  login: string,
  options: ChannelSettingsOptions = {},
): Config {
  const own = channelSettings(config, login, options);
  return {
    ...config,
    record: { ...config.record, quality: own.quality },
    chat: { ...config.chat, enabled: own.chat },
    twitch: { ...config.twitch, backfill: own.backfill },
    retention: { ...config.retention, keepPerChannel: own.keep, maxAgeDays: own.maxAgeDays },
    notify: { ...config.notify, events: own.notify },
    streamlink: { ...config.streamlink, extraArgs: own.extraArgs },
    // `upload = false`: this channel's files never join the upload queue.
    upload: own.upload === false ? { ...config.upload, remote: undefined } : config.upload,
  };
}

/**
 * One warning per table naming a channel the users file does not list: probably a typo or a
 * channel removed from the list, never a reason to refuse the config.
 */
export function channelTableWarnings(config: Config, users: readonly string[]): string[] {
  const listed = new Set(users.map((user) => user.toLowerCase()));
  // A channel renamed on Twitch is listed under either name (the table follows the rename).
  for (const user of [...listed]) {
    for (const name of earlierLogins(config, user)) listed.add(name);
  }
  return Object.keys(config.channels ?? {})
    .filter((login) =>
      !listed.has(login) && !earlierLogins(config, login).some((n) => listed.has(n))
    )
    .map((login) =>
      `[channel.${login}] in config "${config.source.path}" names a channel that is not in the users file "${config.poller.usersFile}"`
    );
}

/** Whether any channel has a table: without one, every channel runs on the global keys. */
export function hasChannelTables(config: Config): boolean {
  return Object.keys(config.channels ?? {}).length > 0;
}

/**
 * The config a poller's recording starts from: `poller.quality` in place of `record.quality`
 * (a channel's own table still wins over both).
 */
export function hostedConfig(config: Config): Config {
  const origin = config.origins?.["poller.quality"];
  const { "record.quality": _record, ...origins } = config.origins ?? {};
  return {
    ...config,
    record: { ...config.record, quality: config.poller.quality },
    origins: origin ? { ...origins, "record.quality": origin } : origins,
  };
}

export type { ChannelTable };
