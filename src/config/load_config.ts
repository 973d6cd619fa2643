import { parse as parseToml, TomlError } from "smol-toml";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { ConfigError, type TwitchtoolError, UsageError } from "../errors.ts";
import { assembleConfig, type Layer } from "./assemble_config.ts";
import type { Config } from "./config.ts";
import { closestName } from "./closest_name.ts";
import { type ChannelTable, readChannelTables } from "./channel_tables.ts";
import {
  baseDirs,
  CHANNEL_SECTION,
  CONFIG_FIELDS,
  type ConfigValue,
  defaultValues,
  type EnvReader,
  fieldName,
  type FieldSpec,
  findField,
} from "./schema.ts";
import { tomlKeyLines } from "./toml_lines.ts";
import type { ValueOrigin } from "./value_origin.ts";

/** A value given on the command line, with the flag it came from for error messages. */
export interface CliOverride {
  readonly value: unknown;
  readonly flag: string;
}

/** Inputs of {@link loadConfig}; everything but `configPath`/`overrides` exists for tests. */
export interface LoadConfigOptions {
  /** `--config PATH`; when unset the XDG default location is used and may be absent. */
  readonly configPath?: string | undefined;
  /** CLI values keyed `section.key`; `undefined` values are ignored. */
  readonly overrides?: Readonly<Record<string, CliOverride | undefined>>;
  readonly env?: EnvReader;
  readonly cwd?: string;
  /** `encode-mode on` may create the file, so a missing explicit `--config` is fine there. */
  readonly allowMissingFile?: boolean;
}

/** The resolved config plus non-fatal findings (an unknown key is a problem, not a warning). */
export interface LoadedConfig {
  readonly config: Config;
  readonly warnings: readonly string[];
}

/**
 * Everything wrong with the config at once (for `doctor` and `encode-mode status`): each
 * problem is one error naming its file/variable/flag and key; `config` holds the next layer's
 * value (or the default) in place of each unusable one.
 */
export interface InspectedConfig extends LoadedConfig {
  readonly problems: readonly TwitchtoolError[];
  /** Values refused, by key and layer (each is also in `problems`). */
  readonly refused: readonly RefusedValue[];
}

/** A value a layer gave for a key that cannot be used. */
export interface RefusedValue {
  readonly key: string;
  readonly source: ValueOrigin["source"];
  readonly error: TwitchtoolError;
}

/** Where {@link setChecked} records a refused value. */
interface Refusals {
  readonly problems: TwitchtoolError[];
  readonly refused: RefusedValue[];
}

/**
 * Loads the config with precedence CLI > environment > file > defaults. Throws the problem
 * when there is one, or one ConfigError listing every problem (a line each) when several.
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const { config, warnings, problems } = await inspectConfig(options);
  if (problems.length === 1) throw problems[0];
  if (problems.length > 1) {
    throw new ConfigError(problems.map((problem) => problem.message).join("\n"), {
      cause: problems,
    });
  }
  return { config, warnings };
}

/** Like {@link loadConfig}, but returns every problem instead of throwing. */
export async function inspectConfig(options: LoadConfigOptions = {}): Promise<InspectedConfig> {
  const env = options.env ?? ((name: string) => Deno.env.get(name));
  const cwd = options.cwd ?? Deno.cwd();
  const dirs = baseDirs(env);
  const expand = (path: string) => expandPath(path, dirs.home, cwd);
  const warnings: string[] = [];
  const problems: TwitchtoolError[] = [];
  const refused: RefusedValue[] = [];
  const refusals = <S extends RefusedValue["source"]>(source: S) => ({ problems, refused, source });

  const filePath = options.configPath ? expand(options.configPath) : dirs.defaultConfigFile;
  const origins: Record<string, ValueOrigin> = {};
  const file = await readConfigFile(filePath, options, expand, origins, refusals("file"));
  const envLayer = readEnvLayer(env, expand, origins, refusals("env"));
  const cliLayer = readCliLayer(options.overrides ?? {}, expand, origins, refusals("cli"));
  const layers = [cliLayer, envLayer, file.layer];
  const source = { path: filePath, exists: file.text !== undefined };
  const defaults = defaultValues(dirs, env, isDirectory);
  const assembled = assembleConfig(layers, defaults, { source, origins }, dirs);
  const config = { ...assembled, channels: file.channels };
  if (!config.streamlink.urlTemplate.includes("{user}")) {
    warnings.push(
      `"streamlink.url_template" has no {user} placeholder: every channel gets the same URL`,
    );
  }
  return { config, warnings, problems, refused };
}

/** The config file's text (undefined when absent) and its layer; read problems go to `refusals`. */
async function readConfigFile(
  filePath: string,
  options: LoadConfigOptions,
  expand: (path: string) => string,
  origins: Record<string, ValueOrigin>,
  refusals: Refusals & { readonly source: "file" },
): Promise<{ text: string | undefined; layer: Layer; channels: Record<string, ChannelTable> }> {
  const problems = refusals.problems;
  const before = problems.length;
  let fileText: string | undefined;
  try {
    fileText = await readOptional(filePath);
  } catch (error) {
    problems.push(error as ConfigError);
  }
  if (
    fileText === undefined && problems.length === before && options.configPath &&
    !options.allowMissingFile
  ) {
    problems.push(new ConfigError(`Cannot read config "${filePath}": file does not exist`));
  }

  const fileLayer: Layer = new Map();
  const channels: Record<string, ChannelTable> = {};
  if (fileText !== undefined) {
    try {
      const table = parseFile(filePath, fileText);
      const file = { path: filePath, lines: tomlKeyLines(fileText), origins, channels };
      readFileLayer(table, file, fileLayer, refusals, expand);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(error);
    }
  }
  return { text: fileText, layer: fileLayer, channels };
}

/** The values environment variables set, checked like the file's. */
function readEnvLayer(
  env: EnvReader,
  expand: (path: string) => string,
  origins: Record<string, ValueOrigin>,
  refusals: Refusals & { readonly source: "env" },
): Layer {
  const envLayer: Layer = new Map();
  for (const field of CONFIG_FIELDS) {
    if (!field.env) continue;
    const raw = env(field.env);
    if (raw === undefined || raw === "") continue;
    const source = `Cannot use environment variable ${field.env}=${JSON.stringify(raw)}`;
    setChecked(envLayer, field, raw, expand, refusals, {
      type: (expected) =>
        new ConfigError(`${source}: expected ${expected} for "${fieldName(field)}"`),
      shape: (reason) => new ConfigError(`${source}: "${fieldName(field)}" ${reason}`),
    });
    if (envLayer.has(fieldName(field))) {
      origins[fieldName(field)] = { source: "env", label: field.env };
    }
  }
  return envLayer;
}

/** The values command-line options set; an override naming no key is a programming error. */
function readCliLayer(
  overrides: Readonly<Record<string, CliOverride | undefined>>,
  expand: (path: string) => string,
  origins: Record<string, ValueOrigin>,
  refusals: Refusals & { readonly source: "cli" },
): Layer {
  const cliLayer: Layer = new Map();
  for (const [name, override] of Object.entries(overrides)) {
    if (override === undefined || override.value === undefined) continue;
    const field = findField(name);
    if (!field) throw new Error(`Unknown config override "${name}"`);
    const source = `Invalid value ${JSON.stringify(override.value)} for ${override.flag}`;
    setChecked(cliLayer, field, override.value, expand, refusals, {
      type: (expected) => new UsageError(`${source}: expected ${expected}`),
      shape: (reason) => new UsageError(`${source}: it ${reason}`),
    });
    if (cliLayer.has(name)) origins[name] = { source: "cli", label: override.flag };
  }
  return cliLayer;
}

/**
 * Coerces `raw` and checks a path's shape; sets the layer's value when usable and records the
 * problem otherwise, so one bad value never hides the next.
 */
function setChecked(
  layer: Layer,
  field: FieldSpec,
  raw: unknown,
  expand: (path: string) => string,
  refusals: Refusals & { readonly source: RefusedValue["source"] },
  problem: {
    /**
     * A value of the wrong type or out of bounds: "expected ...", with a `hint` when the value
     * is a quoted number or boolean in the file.
     */
    type: (expected: string, hint?: string) => TwitchtoolError;
    /** A path that can never be the folder/file it should be. */
    shape: (reason: string) => TwitchtoolError;
  },
): void {
  try {
    // Only the file's values are typed (TOML); the environment and argv are text by nature.
    const typed = refusals.source === "file";
    const value = coerce(field, raw, { expand, fail: problem.type, typed });
    if (field.kind === "dir" || field.kind === "file") {
      const wrong = pathShapeProblem(value as string, field.kind);
      if (wrong) throw problem.shape(wrong);
    }
    const expected = field.check?.(value as ConfigValue);
    if (expected) throw problem.type(expected);
    layer.set(fieldName(field), value);
  } catch (error) {
    if (!(error instanceof ConfigError || error instanceof UsageError)) throw error;
    if (field.secret) error.message = maskTexts(error.message, raw);
    refusals.problems.push(error);
    refusals.refused.push({ key: fieldName(field), source: refusals.source, error });
  }
}

/**
 * `message` with every text inside `raw` (a string, or strings in an array) replaced by `***`,
 * as written and as quoted: a refused `notify.urls = "ntfy://u:pw@host/t"` names the key and
 * the value's shape, never the password.
 */
function maskTexts(message: string, raw: unknown): string {
  const texts = [raw].flat(Infinity).filter((item): item is string => typeof item === "string");
  // Quoted first (exact); bare only when long enough not to garble the rest of the message.
  const forms: [string, string][] = [
    ...texts.map((text): [string, string] => [JSON.stringify(text), '"***"']),
    ...texts.filter((text) => text.length >= 4).map((text): [string, string] => [text, "***"]),
  ];
  let masked = message;
  for (const [form, mask] of forms.sort(([a], [b]) => b.length - a.length)) {
    masked = masked.replaceAll(form, mask);
  }
  return masked;
}

/**
 * Why `path` can never be used as a folder (`dir`) or a file, e.g. `cannot exist:
 * "/etc/passwd" is a file, not a folder`, or undefined when it can (a missing path is fine: it is created
 * when needed). Catches a file where a folder belongs and a folder where a file belongs
 * before anything half-starts.
 */
export function pathShapeProblem(path: string, kind: "dir" | "file"): string | undefined {
  let current = path;
  for (;;) {
    let info: Deno.FileInfo | undefined;
    try {
      info = Deno.statSync(current);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory)) {
        return undefined;
      }
    }
    if (info) {
      const want = current === path ? kind : "dir";
      if (want === "dir" && !info.isDirectory) {
        return current === path
          ? "is a file, not a folder"
          : `cannot exist: ${JSON.stringify(current)} is a file, not a folder`;
      }
      if (want === "file" && info.isDirectory) return "is a folder, not a file";
      return undefined;
    }
    const parent = dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}

/** Expands a leading `~` and makes the path absolute against `cwd`. */
export function expandPath(path: string, home: string, cwd: string): string {
  if (path === "~") return home;
  if (path.startsWith("~/")) return join(home, path.slice(2));
  return isAbsolute(path) ? resolve(path) : resolve(cwd, path);
}

function parseFile(path: string, text: string): Record<string, unknown> {
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof TomlError) {
      throw new ConfigError(
        `Cannot parse config "${path}": line ${error.line}, column ${error.column}: ${
          describeTomlError(error, text)
        }`,
        { cause: error },
      );
    }
    throw error;
  }
}

/**
 * smol-toml's first message line, reworded where it misleads: a string missing its closing
 * quote reads as "control characters are not allowed" (the line end is the control character).
 */
function describeTomlError(error: TomlError, text: string): string {
  const message = error.message.split("\n")[0]?.replace(/^Invalid TOML document: /, "") ?? "";
  const line = text.split("\n")[error.line - 1] ?? "";
  const atLineEnd = error.column > line.replace(/\r$/, "").length;
  if (/unfinished string/.test(message) || (/control characters/.test(message) && atLineEnd)) {
    return "unterminated string: the closing quote is missing";
  }
  return message;
}

/** The config file being read: its path, where each key sits, and where values are noted. */
interface FileContext {
  readonly path: string;
  readonly lines: ReadonlyMap<string, number>;
  readonly origins: Record<string, ValueOrigin>;
  /** Where the `[channel.<login>]` tables go. */
  readonly channels: Record<string, ChannelTable>;
}

/**
 * Reads the file's sections into `layer`. An unknown section or key is an error naming the
 * closest known one: a typo'd key silently left at its default (recordings in the wrong
 * folder) is worse than refusing to start.
 */
function readFileLayer(
  table: Record<string, unknown>,
  file: FileContext,
  layer: Layer,
  refusals: Refusals & { readonly source: "file" },
  expand: (path: string) => string,
): void {
  const { path } = file;
  for (const [section, body] of Object.entries(table)) {
    if (section === CHANNEL_SECTION) {
      const check = (field: FieldSpec, raw: unknown, name: string) =>
        checkFileValue(field, raw, name, file, expand);
      Object.assign(file.channels, readChannelTables(body, file, check, refusals.problems));
      continue;
    }
    const sectionFields = CONFIG_FIELDS.filter((f) => f.section === section);
    if (sectionFields.length === 0) {
      refusals.problems.push(unknownName(section, body, file));
      continue;
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      refusals.problems.push(
        new ConfigError(
          `Cannot use config "${path}":${
            lineOf(file, section)
          } "${section}" must be a [${section}] table`,
        ),
      );
      continue;
    }
    for (const [key, raw] of Object.entries(body)) {
      const name = `${section}.${key}`;
      const field = sectionFields.find((f) => f.key === key);
      if (!field) {
        refusals.problems.push(unknownName(name, raw, file));
        continue;
      }
      const where = `Cannot use config "${path}":${lineOf(file, name)}`;
      setChecked(layer, field, raw, expand, refusals, {
        type: (expected, hint) =>
          new ConfigError(
            `${where} expected ${expected} for "${name}", got ${tomlText(raw)}${
              hint ? ` (${hint})` : ""
            }`,
          ),
        shape: (reason) => new ConfigError(`${where} "${name}" = ${tomlText(raw)} ${reason}`),
      });
      if (layer.has(name)) {
        const line = file.lines.get(name);
        file.origins[name] = { source: "file", label: line ? `${path}:${line}` : path };
      }
    }
  }
}

/** One `[channel.<login>]` value as its kind, or the ConfigError naming its file and line. */
function checkFileValue(
  field: FieldSpec,
  raw: unknown,
  name: string,
  file: FileContext,
  expand: (path: string) => string,
): unknown {
  const where = `Cannot use config "${file.path}":${lineOf(file, name)}`;
  return coerce(field, raw, {
    expand,
    typed: true,
    fail: (expected, hint) =>
      new ConfigError(
        `${where} expected ${expected} for "${name}", got ${tomlText(raw)}${
          hint ? ` (${hint})` : ""
        }`,
      ),
  });
}

/** ` line 4:` when the line of `name` is known, else empty. */
function lineOf(file: FileContext, name: string): string {
  const line = file.lines.get(name);
  return line ? ` line ${line}:` : "";
}

/**
 * The error for a section or key the schema does not know, with the closest known name: a
 * bare top-level key (`record_dirr = ...`) is matched against key names, a table against
 * section names, `section.key` against the full names.
 */
function unknownName(name: string, body: unknown, file: FileContext): ConfigError {
  const isTable = typeof body === "object" && body !== null && !Array.isArray(body);
  const dotted = name.includes(".");
  const kind = dotted || !isTable ? "key" : "section";
  const sections = [...new Set(CONFIG_FIELDS.map((f) => f.section)), CHANNEL_SECTION];
  const keyPart = name.slice(name.lastIndexOf(".") + 1);
  const guess = kind === "section"
    ? closestName(name, sections.map((section) => ({ match: section, name: section })))
    : closestName(name, CONFIG_FIELDS.map((f) => ({ match: fieldName(f), name: fieldName(f) }))) ??
      closestName(keyPart, CONFIG_FIELDS.map((f) => ({ match: f.key, name: fieldName(f) })));
  const section = dotted ? name.slice(0, name.lastIndexOf(".")) : "";
  const keys = CONFIG_FIELDS.filter((f) => f.section === section).map((f) => f.key);
  const hint = guess
    ? `did you mean "${guess}"?`
    : keys.length > 0
    ? `[${section}] has ${keys.join(", ")}`
    : `known sections are ${sections.join(", ")}`;
  const where = ` in config "${file.path}":${lineOf(file, name)}`;
  return new ConfigError(`Unknown ${kind} "${name}"${where} ${hint}`);
}

const TRUE_WORDS = new Set(["1", "true", "yes", "on"]);
const FALSE_WORDS = new Set(["0", "false", "no", "off"]);
const FPS_PATTERN = /^(auto|\d+(\.\d+)?|\d+\/\d+)$/;

/** What {@link coerce} needs besides the value. */
interface CoerceContext {
  readonly expand: (path: string) => string;
  /** The error for a value that is not what `expected` says (`hint`: how to write it). */
  readonly fail: (expected: string, hint?: string) => Error;
  /**
   * The value is TOML's own (a number is a number): a quoted number or boolean is refused
   * rather than guessed at, while text from the environment or argv is read as the kind.
   */
  readonly typed: boolean;
}

/** Reads one raw value (TOML native, or a string from env/CLI) as the field's kind. */
function coerce(field: FieldSpec, raw: unknown, context: CoerceContext): unknown {
  const { expand, fail } = context;
  const text = typeof raw === "string" ? raw.trim() : undefined;
  switch (field.kind) {
    case "string": {
      if (text === undefined || text === "") throw fail("a non-empty string");
      if (field.choices && !field.choices.includes(text)) {
        throw fail(`one of ${field.choices.join(", ")}`);
      }
      if (field.schemes && !field.schemes.includes(URL.parse(text)?.protocol ?? "")) {
        throw fail(`a ${field.schemes.map((scheme) => `${scheme}//`).join(" or ")} URL`);
      }
      return text;
    }
    case "dir":
    case "file": {
      if (text === undefined || text === "") throw fail("a path");
      return expand(text);
    }
    case "int":
    case "number":
    case "bool": {
      if (context.typed && text !== undefined) throw quotedValue(field, text, fail);
      return field.kind === "bool" ? readBool(raw, fail) : readNumber(field, raw, fail);
    }
    case "string_list": {
      if (!Array.isArray(raw) || raw.some((item) => typeof item !== "string")) {
        throw fail("an array of strings");
      }
      const wrong = field.choices && raw.find((item) => !field.choices!.includes(item));
      if (wrong !== undefined && wrong !== false) {
        throw fail(`an array of ${field.choices!.join(", ")} (not ${JSON.stringify(wrong)})`);
      }
      return raw;
    }
    case "fps": {
      const value = typeof raw === "number" ? String(raw) : text ?? "";
      if (!FPS_PATTERN.test(value) || value === "0") {
        throw fail('"auto", a number or a fraction like "30000/1001"');
      }
      return value;
    }
  }
}

/**
 * The error for `give_up_after = "300"` or `enabled = "yes"` in the file: a string where TOML
 * has a number or boolean. When the text reads as one (as it would from the environment), the
 * hint says how to write it.
 */
function quotedValue(
  field: FieldSpec,
  text: string,
  fail: CoerceContext["fail"],
): Error {
  let unquoted: unknown;
  const refuse = (expected: string) => new Error(expected);
  try {
    unquoted = field.kind === "bool" ? readBool(text, refuse) : readNumber(field, text, refuse);
  } catch {
    return fail(expectation(field));
  }
  return fail(expectation(field), `a string: write ${String(unquoted)} without quotes`);
}

/** A number within the field's bounds (an integer for `int`), from a number or its text. */
function readNumber(field: FieldSpec, raw: unknown, fail: (expected: string) => Error): number {
  const text = typeof raw === "string" ? raw.trim() : undefined;
  const value = typeof raw === "number"
    ? raw
    : text !== undefined && text !== ""
    ? Number(text)
    : NaN;
  const expected = expectation(field);
  if (!Number.isFinite(value) || (field.kind === "int" && !Number.isInteger(value))) {
    throw fail(expected);
  }
  if (field.min !== undefined && value < field.min) throw fail(expected);
  if (field.max !== undefined && value > field.max) throw fail(expected);
  return value;
}

/** A boolean, or one of the words {@link TRUE_WORDS}/{@link FALSE_WORDS} for env and argv. */
function readBool(raw: unknown, fail: (expected: string) => Error): boolean {
  if (typeof raw === "boolean") return raw;
  const word = typeof raw === "string" ? raw.trim().toLowerCase() : "";
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  throw fail("true or false");
}

/** What a number or boolean key expects, e.g. `an integer from 1 to 64`. */
function expectation(field: FieldSpec): string {
  if (field.kind === "bool") return "true or false";
  const noun = field.kind === "int" ? "an integer" : "a number";
  if (field.min !== undefined && field.max !== undefined) {
    return `${noun} from ${field.min} to ${field.max}`;
  }
  if (field.min !== undefined) return `${noun} >= ${field.min}`;
  return noun;
}

/**
 * A TOML value as a message shows it: JSON, except what JSON cannot say: `nan`, `inf` and
 * `-inf` as TOML writes them (JSON would print `null`), a date-time unquoted.
 */
function tomlText(raw: unknown): string {
  if (typeof raw === "number" && !Number.isFinite(raw)) {
    return Number.isNaN(raw) ? "nan" : raw > 0 ? "inf" : "-inf";
  }
  if (raw instanceof Date) return raw.toISOString();
  if (Array.isArray(raw)) return `[${raw.map(tomlText).join(", ")}]`;
  return JSON.stringify(raw) ?? String(raw);
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new ConfigError(`Cannot read config "${path}": ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Whether `path` is an existing folder (false for anything unreadable). */
export function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}
