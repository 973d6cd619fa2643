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
  return config;
}

/**
 * The config with each unusable value left at the next layer's (or its default), its problems
 * as warnings: `status` must still show what runs while the file on disk has a mistake the
 * daemons refused (they keep their last good config, and `status` says so).
 */
async function tolerantConfig(
  globals: GlobalOptions,
): Promise<{ config: Config; warnings: readonly string[] }> {
  const inspected = await inspectConfig({
    configPath: globals.config,
    overrides: globals.configOverrides ?? {},
  });
  const refused = inspected.problems.map((problem) => `${problem.message} (ignored here)`);
  return { config: inspected.config, warnings: [...inspected.warnings, ...refused] };
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
  return config;
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
