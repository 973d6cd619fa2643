/**
 * What every command starts from: the global options and the config loaded with the values its
 * options gave (secrets masked in logs, warnings logged, notifications started). What a command
 * prints is in `output.ts`.
 */
import { getLogger } from "@logtape/logtape";
import type { Config } from "../config/config.ts";
import { type CliOverride, inspectConfig, loadConfig } from "../config/load_config.ts";
import { splitSecretArgs } from "../proc/streamlink_args.ts";
import { logLiteral } from "../util/log_literal.ts";
import { notifySecrets, startNotifications } from "../notify/start_notifications.ts";
import { dispatchedCommand } from "../permissions.ts";
import { alsoMaskInLogs, maskInLogs } from "./logging.ts";
import { baseDirs } from "../config/schema.ts";
import { readDaemonState } from "../state/daemon_state.ts";
import { readChannelIds } from "../state/channel_ids.ts";
import { withChannelRenames } from "../config/channel_settings.ts";

/** Options every command accepts, before or after the subcommand. */
export interface GlobalOptions {
  readonly config?: string | undefined;
  readonly jsonLogs?: boolean | undefined;
  /** The config values the command's key options gave, keyed `section.key` (key_option.ts). */
  readonly configOverrides?: Readonly<Record<string, CliOverride | undefined>>;
}

/** Builds a CLI override for `section.key` from an option value (skipped when undefined). */
export function override(value: unknown, flag: string): CliOverride | undefined {
  return value === undefined ? undefined : { value, flag };
}

/**
 * Loads the config for a command with the values its options gave, logging its warnings; any
 * problem throws (exit 2).
 */
export async function loadCommandConfig(
  globals: GlobalOptions,
  options: { allowMissingFile?: boolean; tolerant?: boolean } = {},
): Promise<Config> {
  const { config, warnings } = options.tolerant ? await tolerantConfig(globals) : await loadConfig({
    configPath: globals.config,
    overrides: globals.configOverrides ?? {},
    ...(options.allowMissingFile ? { allowMissingFile: true } : {}),
  });
  maskInLogs(configSecrets(config));
  const log = getLogger(["twitchtool", "config"]);
  for (const warning of warnings) log.warn(logLiteral(warning));
  await startNotifications(config, dispatchedCommand());
  return await withRenamesFollowed(config);
}

/**
 * `config` with the renames the poller followed on Twitch, so a `[channel.<login>]` table
 * follows its channel to the new login. Unreadable state reads as no renames.
 */
async function withRenamesFollowed(config: Config): Promise<Config> {
  const { renames } = await readChannelIds(config.paths.stateDir);
  return withChannelRenames(config, renames);
}

/**
 * The config as {@link loadConfig} reads it; but while a running daemon has refused the file on
 * disk (it keeps its last good config), each unusable value is left at the next layer's (or its
 * default) and its problem becomes a warning: `status` must then still show what runs, and that
 * the file is not in force. With no daemon refusing it, a bad file is an error as everywhere.
 */
async function tolerantConfig(
  globals: GlobalOptions,
): Promise<{ config: Config; warnings: readonly string[] }> {
  const options = { configPath: globals.config, overrides: globals.configOverrides ?? {} };
  try {
    return await loadConfig(options);
  } catch (error) {
    if (!(await daemonRefusedConfig())) throw error;
  }
  const inspected = await inspectConfig(options);
  const refused = inspected.problems.map((problem) => `${problem.message} (ignored here)`);
  return { config: inspected.config, warnings: [...inspected.warnings, ...refused] };
}

/** Whether a running poller or encoder says the config file on disk is not in force. */
async function daemonRefusedConfig(): Promise<boolean> {
  const { stateDir } = baseDirs((name) => Deno.env.get(name));
  for (const name of ["poller", "encoder"] as const) {
    const state = await readDaemonState(stateDir, name).catch(() => undefined);
    if (state?.running && state.status?.config?.in_force === false) return true;
  }
  return false;
}

/**
 * The config read again as {@link loadCommandConfig} read it (same file, flags, environment),
 * for a daemon's reload: its secrets join the masked ones; throws when it does not validate.
 */
export async function reloadCommandConfig(globals: GlobalOptions): Promise<Config> {
  const { config, warnings } = await loadConfig({
    configPath: globals.config,
    overrides: globals.configOverrides ?? {},
  });
  alsoMaskInLogs(configSecrets(config));
  const log = getLogger(["twitchtool", "config"]);
  for (const warning of warnings) log.warn(logLiteral(warning));
  return await withRenamesFollowed(config);
}

/** Secrets of `config` (streamlink header options, the client secret, notify URLs) never logged. */
function configSecrets(config: Config): string[] {
  const { clientSecret } = config.twitch;
  const channelArgs = Object.values(config.channels ?? {}).flatMap((table) =>
    (table.values.extra_args as string[] | undefined) ?? []
  );
  return [
    ...splitSecretArgs([...config.streamlink.extraArgs, ...channelArgs]).secrets,
    ...(clientSecret ? [clientSecret] : []),
    ...notifySecrets(config),
  ];
}
