import { getLogger } from "@logtape/logtape";
import Table from "cli-table3";
import type { Config } from "../config/config.ts";
import { type CliOverride, loadConfig } from "../config/load_config.ts";
import { splitSecretArgs } from "../proc/streamlink_args.ts";
import { logLiteral } from "../util/log_literal.ts";
import { notifySecrets, startNotifications } from "../notify/start_notifications.ts";
import { dispatchedCommand } from "../permissions.ts";
import { maskInLogs } from "./logging.ts";
import { columnWidths, fitCell } from "./table_layout.ts";

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
  options: { allowMissingFile?: boolean } = {},
): Promise<Config> {
  const { config, warnings } = await loadConfig({
    configPath: globals.config,
    overrides: globals.configOverrides ?? {},
    ...(options.allowMissingFile ? { allowMissingFile: true } : {}),
  });
  const { clientSecret } = config.twitch;
  maskInLogs([
    ...splitSecretArgs(config.streamlink.extraArgs).secrets,
    ...(clientSecret ? [clientSecret] : []),
    ...notifySecrets(config),
  ]);
  const log = getLogger(["twitchtool", "config"]);
  for (const warning of warnings) log.warn(logLiteral(warning));
  await startNotifications(config, dispatchedCommand());
  return config;
}

/** Writes all of `text` synchronously, so nothing is lost when `main` exits right after. */
export function writeText(stream: { writeSync(bytes: Uint8Array): number }, text: string): void {
  const bytes = new TextEncoder().encode(text);
  let written = 0;
  while (written < bytes.length) written += stream.writeSync(bytes.subarray(written));
}

/** Writes command output (not logs) to stdout. */
export function printLine(text = ""): void {
  writeText(Deno.stdout, text + "\n");
}

/**
 * Whether output to `stream` may carry ANSI styles: a terminal and no `NO_COLOR`. Deno reads
 * `NO_COLOR` at start-up, so this needs no env permission (unlike commander's own check).
 */
export function colorsOn(stream: { isTerminal(): boolean }): boolean {
  return stream.isTerminal() && !Deno.noColor;
}

/** Columns of the terminal behind stdout/stderr; 80 when piped (help text; tables use no limit). */
export function terminalWidth(stream: { isTerminal(): boolean }): number {
  if (!stream.isTerminal()) return 80;
  try {
    return Deno.consoleSize().columns || 80;
  } catch {
    return 80;
  }
}

/** Columns a table on stdout may take: the terminal's width, no limit in a pipe. */
export function tableLimit(): number {
  return Deno.stdout.isTerminal() ? terminalWidth(Deno.stdout) : Infinity;
}

/**
 * A table for command output. On a terminal it is as wide as the terminal at most: the widest
 * columns give way first, paths lose their middle and text wraps between words
 * (table_layout.ts); cli-table3 itself never wraps, so no escape code or word is ever split.
 * Piped, nothing is narrowed: a pipe has no width to respect. cli-table3's own styling is off:
 * it loads its colour module once per styled cell, which made `status` on a terminal 3x
 * slower; a bold header on terminals costs nothing.
 */
export function renderTable(head: string[], rows: (string | number)[][]): string {
  const cells = rows.map((row) => row.map(String));
  const widths = columnWidths(head, cells, tableLimit());
  const bold = colorsOn(Deno.stdout);
  const table = new Table({
    head: bold ? head.map((title) => `\x1b[1m${title}\x1b[22m`) : head,
    style: { head: [], border: [] },
    wordWrap: false,
  });
  table.push(...cells.map((row) => row.map((cell, column) => fitCell(cell, widths[column]!))));
  return table.toString();
}
