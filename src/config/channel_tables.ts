/**
 * Reads the `[channel.<login>]` tables of config.toml: each key checked like the global key it
 * overrides (schema.ts, {@link CHANNEL_KEYS}), an unknown key refused with the closest known one,
 * a login that cannot be a Twitch name refused. Whether the channel is in the users file is not
 * known here: {@link channelTableWarnings} (channel_settings.ts) says so where it is.
 */
import { ConfigError } from "../errors.ts";
import { isValidUsername } from "../util/is_valid_username.ts";
import { closestName } from "./closest_name.ts";
import {
  CHANNEL_KEYS,
  CHANNEL_SECTION,
  type ChannelKeySpec,
  type FieldSpec,
  NOTIFY_EVENTS,
} from "./schema.ts";

/** A `[channel.<login>]` key's name. */
export type ChannelKey = typeof CHANNEL_KEYS[number]["key"];

/** One channel's table: the values it sets and where each was set. */
export interface ChannelTable {
  readonly values: Readonly<Partial<Record<ChannelKey, unknown>>>;
  /** `file:line` (or the file) where each key was set. */
  readonly labels: Readonly<Partial<Record<ChannelKey, string>>>;
}

/** How the loader checks one value as a field's kind; throws a ConfigError when unusable. */
export type CheckValue = (field: FieldSpec, raw: unknown, name: string) => unknown;

/** Where the tables come from, for messages. */
export interface ChannelFile {
  readonly path: string;
  readonly lines: ReadonlyMap<string, number>;
}

/**
 * The tables under `[channel]`, keyed by lower-case login; each problem goes to `problems` and
 * the rest of the table is still read.
 */
export function readChannelTables(
  body: unknown,
  file: ChannelFile,
  check: CheckValue,
  problems: ConfigError[],
): Record<string, ChannelTable> {
  const tables: Record<string, ChannelTable> = {};
  if (!isTable(body)) {
    problems.push(
      new ConfigError(
        `Cannot use config "${file.path}": "${CHANNEL_SECTION}" must hold [${CHANNEL_SECTION}.<login>] tables`,
      ),
    );
    return tables;
  }
  for (const [login, table] of Object.entries(body)) {
    const section = `${CHANNEL_SECTION}.${login}`;
    const where = `config "${file.path}":${lineOf(file, section)}`;
    if (!isValidUsername(login)) {
      problems.push(
        new ConfigError(
          `Cannot use [${section}] in ${where} "${login}" is not a Twitch login (3-25 letters, digits or underscores)`,
        ),
      );
      continue;
    }
    if (!isTable(table)) {
      problems.push(
        new ConfigError(`Cannot use ${where} "${section}" must be a [${section}] table`),
      );
      continue;
    }
    tables[login.toLowerCase()] = readOneTable(section, table, file, check, problems);
  }
  return tables;
}

function readOneTable(
  section: string,
  table: Record<string, unknown>,
  file: ChannelFile,
  check: CheckValue,
  problems: ConfigError[],
): ChannelTable {
  const values: Partial<Record<ChannelKey, unknown>> = {};
  const labels: Partial<Record<ChannelKey, string>> = {};
  for (const [key, raw] of Object.entries(table)) {
    const name = `${section}.${key}`;
    const spec = CHANNEL_KEYS.find((candidate) => candidate.key === key);
    if (!spec) {
      const guess = closestName(key, CHANNEL_KEYS.map((k) => ({ match: k.key, name: k.key })));
      const hint = guess
        ? `did you mean "${section}.${guess}"?`
        : `[${section}] has ${CHANNEL_KEYS.map((k) => k.key).join(", ")}`;
      problems.push(
        new ConfigError(
          `Unknown key "${name}" in config "${file.path}":${lineOf(file, name)} ${hint}`,
        ),
      );
      continue;
    }
    try {
      values[spec.key] = check(channelField(section, spec, raw), raw, name);
      const line = file.lines.get(name);
      labels[spec.key] = line ? `${file.path}:${line}` : file.path;
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(error);
    }
  }
  return { values, labels };
}

/**
 * The field a channel key is checked as: its own kind, bounds and (for `notify`) either a
 * boolean or a list of {@link NOTIFY_EVENTS}.
 */
function channelField(section: string, spec: ChannelKeySpec, raw: unknown): FieldSpec {
  const base = { section, key: spec.key, doc: spec.doc };
  if (spec.kind === "notify") {
    return typeof raw === "boolean"
      ? { ...base, kind: "bool" }
      : { ...base, kind: "string_list", choices: NOTIFY_EVENTS };
  }
  return { ...base, kind: spec.kind, ...(spec.min !== undefined ? { min: spec.min } : {}) };
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) &&
    !(value instanceof Date);
}

/** ` line 4:` when the line of `name` is known, else empty. */
function lineOf(file: ChannelFile, name: string): string {
  const line = file.lines.get(name);
  return line ? ` line ${line}:` : "";
}
