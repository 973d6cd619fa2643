import { join, resolve } from "node:path";
import { ConfigError } from "../errors.ts";
import { CONFIG_FIELDS, type DefaultContext, fieldName, type FieldSpec } from "./schema.ts";

/** Reads one environment variable; injected so tests need no real environment. */
export type EnvReader = (name: string) => string | undefined;

/** Where things live by default; every path derives from HOME/XDG_* so `HOME=$(mktemp -d)` isolates a run. */
export interface BaseDirs {
  readonly home: string;
  readonly configDir: string;
  readonly stateDir: string;
  readonly defaultConfigFile: string;
}

/** Resolves HOME and the XDG base directories. */
export function baseDirs(env: EnvReader): BaseDirs {
  const home = env("HOME");
  if (!home) throw new ConfigError("Cannot locate the home directory: HOME is not set");
  const configHome = env("XDG_CONFIG_HOME") || join(home, ".config");
  const stateHome = env("XDG_STATE_HOME") || join(home, ".local", "state");
  const configDir = join(configHome, "twitchtool");
  return {
    home,
    configDir,
    stateDir: join(stateHome, "twitchtool"),
    defaultConfigFile: join(configDir, "config.toml"),
  };
}

/**
 * The session folder (parts and manifests of recordings in progress): `<record_dir>/temp`, or
 * `<record_dir>/TwitchTool/temp` when record_dir is a bare `~/Videos` or `~/Downloads` (so we
 * never litter those with `temp/`). Resolved once with the other paths, so nothing downstream
 * needs HOME to find it.
 */
export function tempDirFor(recordDir: string, home: string): string {
  const dir = resolve(recordDir);
  const bare = [join(home, "Videos"), join(home, "Downloads")].map((p) => resolve(p));
  return bare.includes(dir) ? join(dir, "TwitchTool", "temp") : join(dir, "temp");
}

/**
 * Every key's default keyed `section.key`, as the schema (schema.ts) states it for this machine;
 * keys without one are absent.
 */
export function defaultValues(
  dirs: BaseDirs,
  env: EnvReader,
  isDirectory: (path: string) => boolean,
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const field of CONFIG_FIELDS) {
    if (field.default === undefined) continue;
    values[fieldName(field)] = defaultOf(field, { dirs, env, isDirectory });
  }
  return values;
}

/** One field's default on this machine (a fresh copy of a list); undefined when it has none. */
export function defaultOf(field: FieldSpec, machine: DefaultContext): unknown {
  const value = field.default;
  if (typeof value === "function") return value(machine);
  return Array.isArray(value) ? [...value] : value;
}
