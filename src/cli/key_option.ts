/**
 * Options that set a config key, built from the key's schema entry (`option` in
 * src/config/schema.ts): the flag and its `--help` text are written there once, a command only
 * says which keys it offers (and may word the help for its context). What the user gave is read
 * back by key ({@link keyOverrides}), so no command maps flags to keys by hand.
 */
import { Option } from "@commander-js/extra-typings";
import type { CliOverride } from "../config/load_config.ts";
import { findField, type KeyOption, type SchemaFields } from "../config/schema.ts";
import { override } from "./context.ts";

type WithOption = Extract<SchemaFields[number], { option: KeyOption }>;

/** The keys that have a command-line option, `section.key`. */
export type OptionKey = WithOption extends infer F
  ? F extends { section: infer S extends string; key: infer K extends string } ? `${S}.${K}` : never
  : never;

/** The literal flags of key `N`'s option, so commander types the parsed options. */
type FlagsOf<N extends OptionKey> = WithOption extends infer F
  ? F extends { section: infer S extends string; key: infer K extends string; option: infer O }
    ? `${S}.${K}` extends N ? O extends { flags: infer Flags extends string } ? Flags : never
    : never
  : never
  : never;

/** `--no-remux` for `--remux`. */
type NegatedFlags<N extends OptionKey> = FlagsOf<N> extends `--${infer Name}` ? `--no-${Name}`
  : never;

/** The key each option built here sets. */
const OPTION_KEYS = new WeakMap<object, string>();

function optionOf(name: string): KeyOption {
  const field = findField(name);
  if (!field?.option) throw new Error(`Config key "${name}" has no command-line option`);
  return field.option;
}

/** The option that sets `name`, with the schema's help text unless `help` words it for a command. */
export function keyOption<N extends OptionKey>(name: N, help?: string): Option<FlagsOf<N>> {
  const option = optionOf(name);
  const made = new Option(option.flags as FlagsOf<N>, help ?? option.help);
  OPTION_KEYS.set(made, name);
  return made;
}

/** The `--no-` form of a switch key's option (`--no-remux`), which sets the key to false. */
export function negatedKeyOption<N extends OptionKey>(
  name: N,
  help: string,
): Option<NegatedFlags<N>> {
  const flags = `--no-${optionOf(name).flags.replace(/^--/, "")}`;
  return new Option(flags as NegatedFlags<N>, help);
}

/** The config key `option` sets when {@link keyOption} built it. */
export function optionKey(option: object): string | undefined {
  return OPTION_KEYS.get(option);
}

/** The parts of a commander command {@link keyOverrides} reads. */
export interface ParsedCommand {
  readonly options: readonly { readonly long?: string | undefined; attributeName(): string }[];
  readonly parent: ParsedCommand | null;
  getOptionValue(attribute: string): unknown;
}

/**
 * The config values the user gave as options of `command` or of the commands above it (`users
 * --users-file`), keyed `section.key`, each naming its flag for messages and origins.
 */
export function keyOverrides(command: ParsedCommand): Record<string, CliOverride | undefined> {
  const overrides: Record<string, CliOverride | undefined> = {};
  for (let current: ParsedCommand | null = command; current; current = current.parent) {
    for (const option of current.options) {
      const key = optionKey(option);
      if (key === undefined || key in overrides) continue;
      overrides[key] = override(current.getOptionValue(option.attributeName()), option.long!);
    }
  }
  return overrides;
}
