/**
 * Help text for options that set a config key (built by key_option.ts): each description gets
 * the key's default and environment variable from the schema table appended, so `--help` never
 * disagrees with the config (the original's usage lines showed both too).
 */
import type { Command } from "@commander-js/extra-typings";
import { baseDirs, defaultValues, findField } from "../config/schema.ts";
import { isDirectory } from "../config/load_config.ts";
import { optionKey } from "./key_option.ts";

/** Appends `[default: ...; config ...; env ...]` to every key option's description under `root`. */
export function annotateConfigOptions(root: Command): void {
  const defaults = defaultsForHelp();
  const visit = (command: Command) => {
    for (const option of command.options) {
      const key = optionKey(option);
      if (key === undefined) continue;
      (option as { description: string }).description = `${option.description} ${
        describeConfigKey(key, defaults)
      }`;
    }
    for (const sub of command.commands) visit(sub as Command);
  };
  visit(root);
}

/** `[default: best; config record.quality; env QUALITY]`; throws for a key not in the schema. */
export function describeConfigKey(key: string, defaults: Record<string, unknown>): string {
  const field = findField(key);
  if (!field) throw new Error(`Option help names "${key}", which is not a config key`);
  const parts = [];
  if (field.defaultDoc) parts.push(`default: ${field.defaultDoc}`);
  else if (key in defaults) parts.push(`default: ${formatDefault(defaults[key])}`);
  parts.push(`config ${key}`);
  if (field.env) parts.push(`env ${field.env}`);
  return `[${parts.join("; ")}]`;
}

/** The built-in defaults, with HOME shown as `~` (and assumed to be `~` when unset). */
function defaultsForHelp(): Record<string, unknown> {
  const env = (name: string) => {
    try {
      return Deno.env.get(name) || (name === "HOME" ? "~" : undefined);
    } catch {
      return undefined;
    }
  };
  const dirs = baseDirs(env);
  const values = defaultValues(dirs, env, isDirectory);
  const tilde = (value: unknown) =>
    typeof value === "string" && value.startsWith(`${dirs.home}/`)
      ? `~${value.slice(dirs.home.length)}`
      : value;
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [key, tilde(value)]));
}

function formatDefault(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}
