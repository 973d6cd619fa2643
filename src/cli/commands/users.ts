import {
  type ChannelSettings,
  channelSettings,
  channelTableWarnings,
  hostedConfig,
  type SettingOrigin,
} from "../../config/channel_settings.ts";
import type { ChannelKey } from "../../config/channel_tables.ts";
import { CHANNEL_KEYS } from "../../config/schema.ts";
import { redactArgs, splitSecretArgs } from "../../proc/streamlink_args.ts";
import { logLiteral } from "../../util/log_literal.ts";
import { currentLogin } from "../../state/channel_ids.ts";
import { addUsers, editUsersFile, readUsersFile, removeUsers } from "../../poll/users_file.ts";
import { type GlobalOptions, loadCommandConfig } from "../context.ts";
import { printLine } from "../output.ts";
import { parseShard, type Shard, shardOf } from "../../poll/shard.ts";
import { getLogger } from "@logtape/logtape";

/** The users file in effect (`users --users-file` arrives in `globals`). */
async function usersFilePath(globals: GlobalOptions): Promise<string> {
  const config = await loadCommandConfig(globals);
  return config.poller.usersFile;
}

/** Options of `users list`. */
export interface UsersListOptions {
  /** Every channel's effective settings with their origins. */
  settings?: boolean;
}

/**
 * `twitchtool users list`: the watched channels, one per line (with what their own tables set);
 * invalid lines as warnings. With `--settings`, each channel's effective settings.
 */
export async function usersListCommand(
  globals: GlobalOptions,
  options: UsersListOptions = {},
): Promise<number> {
  const config = await loadCommandConfig(globals);
  const path = config.poller.usersFile;
  const list = await readUsersFile(path);
  const log = getLogger(["twitchtool", "users"]);
  if (!list) {
    log.warn('Users file {path} does not exist yet: add channels with "twitchtool users add"', {
      path,
    });
    return 0;
  }
  for (const entry of list.invalid) {
    log.warn("Line {line} of {path} is not a valid channel name: {text}", {
      line: entry.line,
      path,
      text: entry.text,
    });
  }
  const shard = parseShard(config.poller.shard);
  for (const warning of channelTableWarnings(config, list.users)) log.warn(logLiteral(warning));
  // As the poller records them: `poller.quality` is the global quality there.
  const hosted = hostedConfig(config);
  const renames = config.channelRenames ?? [];
  for (const listed of list.users) {
    const user = currentLogin(renames, listed);
    const renamed = user === listed ? "" : `${listed} -> `;
    const own = channelSettings(hosted, user);
    if (options.settings) {
      printLine(`${renamed}${user}`);
      for (const line of settingLines(own)) printLine(`  ${line}`);
      continue;
    }
    const set = CHANNEL_KEYS.filter((spec) => own.origins[spec.key].source === "channel")
      .map((spec) => `${spec.key}=${shownValue(spec.key, own)}`);
    // With `[poller] shard`: which host records it.
    const name = shard ? shardLine(user, shard) : user;
    const shown = renamed ? `${listed} -> ${name} (renamed on Twitch)` : name;
    printLine(set.length > 0 ? `${shown}  ${tableText(user, own)} ${set.join(" ")}` : shown);
  }
  return 0;
}

/**
 * `[channel.alice]`, or for a channel renamed on Twitch whose table still has its old name,
 * `[channel.old] (until [channel.new] is written)`: the old table applies to the new login.
 */
function tableText(user: string, own: ChannelSettings): string {
  return own.table === user
    ? `[channel.${user}]`
    : `[channel.${own.table}] (until [channel.${user}] is written)`;
}

/** `key = value  (origin)` for each per-channel setting. */
function settingLines(own: ChannelSettings): string[] {
  return CHANNEL_KEYS.map((spec) =>
    `${spec.key} = ${shownValue(spec.key, own)}  (${originText(own.origins[spec.key])})`
  );
}

/** A setting's value as the config file would write it (extra_args masked: they may hold tokens). */
function shownValue(key: ChannelKey, own: ChannelSettings): string {
  const values: Record<ChannelKey, unknown> = {
    quality: own.quality,
    chat: own.chat,
    backfill: own.backfill,
    keep: own.keep,
    max_age_days: own.maxAgeDays,
    upload: own.upload,
    notify: own.notify,
    extra_args: redactArgs(splitSecretArgs(own.extraArgs).visible),
  };
  const value = values[key];
  return value === undefined ? "unset" : JSON.stringify(value);
}

/** Where a setting came from, in words. */
function originText(origin: SettingOrigin): string {
  switch (origin.source) {
    case "channel":
      return origin.label;
    case "cli":
      return `flag ${origin.label}`;
    case "env":
      return `environment variable ${origin.label}`;
    case "file":
      return `config ${origin.label}`;
    default:
      return `default of ${origin.label || "the upload feature"}`;
  }
}

/** `twitchtool users add <names...>`: appends new channels; all-or-nothing on invalid names. */
export async function usersAddCommand(
  names: string[],
  globals: GlobalOptions,
): Promise<number> {
  const path = await usersFilePath(globals);
  const result = await editUsersFile(path, (text) => addUsers(text, names));
  if (result.added.length) printLine(`Added to ${path}: ${result.added.join(", ")}`);
  if (result.present.length) printLine(`Already listed: ${result.present.join(", ")}`);
  return 0;
}

/** `twitchtool users remove <names...>`: removes channels' lines, keeping everything else. */
export async function usersRemoveCommand(
  names: string[],
  globals: GlobalOptions,
): Promise<number> {
  const path = await usersFilePath(globals);
  const result = await editUsersFile(path, (text) => removeUsers(text, names));
  if (result.removed.length) printLine(`Removed from ${path}: ${result.removed.join(", ")}`);
  if (result.missing.length) printLine(`Not listed: ${result.missing.join(", ")}`);
  return 0;
}

/** `alice  shard 2/3 (this host)`: the channel, its shard, and whether this host records it. */
function shardLine(user: string, shard: Shard): string {
  const own = shardOf(user, shard.count);
  return `${user.padEnd(25)}  shard ${own}/${shard.count}${
    own === shard.index ? " (this host)" : ""
  }`;
}
