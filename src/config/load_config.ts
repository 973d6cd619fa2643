import { parse as parseToml, TomlError } from "smol-toml";
import { isAbsolute, join, resolve } from "node:path";
import { ConfigError, UsageError } from "../errors.ts";
import { type Config, GIB } from "./config.ts";
import { baseDirs, defaultValues, type EnvReader } from "./defaults.ts";
import { CONFIG_FIELDS, fieldName, type FieldSpec } from "./schema.ts";

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
  readonly uid?: () => number;
  readonly cwd?: string;
  /** `encode-mode on` may create the file, so a missing explicit `--config` is fine there. */
  readonly allowMissingFile?: boolean;
}

/** The resolved config plus non-fatal findings such as unknown keys. */
export interface LoadedConfig {
  readonly config: Config;
  readonly warnings: readonly string[];
}

type Layer = Map<string, unknown>;

/** Loads the config with precedence CLI > environment > file > defaults. */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const env = options.env ?? ((name: string) => Deno.env.get(name));
  const cwd = options.cwd ?? Deno.cwd();
  const dirs = baseDirs(env);
  const expand = (path: string) => expandPath(path, dirs.home, cwd);
  const warnings: string[] = [];

  const filePath = options.configPath ? expand(options.configPath) : dirs.defaultConfigFile;
  const fileText = await readOptional(filePath);
  if (fileText === undefined && options.configPath && !options.allowMissingFile) {
    throw new ConfigError(`Cannot read config "${filePath}": file does not exist`);
  }

  const fileLayer: Layer = new Map();
  if (fileText !== undefined) {
    const table = parseFile(filePath, fileText);
    readFileLayer(table, filePath, fileLayer, warnings, expand);
  }

  const envLayer: Layer = new Map();
  for (const field of CONFIG_FIELDS) {
    if (!field.env) continue;
    const raw = env(field.env);
    if (raw === undefined || raw === "") continue;
    envLayer.set(
      fieldName(field),
      coerce(field, raw, expand, (expected) =>
        new ConfigError(
          `Cannot use environment variable ${field.env}=${
            JSON.stringify(raw)
          }: expected ${expected} for "${fieldName(field)}"`,
        )),
    );
  }

  const cliLayer: Layer = new Map();
  for (const [name, override] of Object.entries(options.overrides ?? {})) {
    if (override === undefined || override.value === undefined) continue;
    const field = CONFIG_FIELDS.find((f) => fieldName(f) === name);
    if (!field) throw new Error(`Unknown config override "${name}"`);
    cliLayer.set(
      name,
      coerce(field, override.value, expand, (expected) =>
        new UsageError(
          `Invalid value ${
            JSON.stringify(override.value)
          } for ${override.flag}: expected ${expected}`,
        )),
    );
  }

  const defaults = defaultValues(
    dirs,
    env,
    options.uid ?? (() => Deno.uid() ?? 0),
    isDirectory,
  );
  const layers = [cliLayer, envLayer, fileLayer];
  const pick = (name: string): unknown => {
    for (const layer of layers) if (layer.has(name)) return layer.get(name);
    return defaults[name];
  };
  const diskFreeMinBytes = (() => {
    for (const layer of layers) {
      const bytes = layer.get("storage.disk_free_min_bytes");
      if (typeof bytes === "number") return bytes;
      const gib = layer.get("storage.disk_free_min_gb");
      if (typeof gib === "number") return Math.round(gib * GIB);
    }
    return Math.round((defaults["storage.disk_free_min_gb"] as number) * GIB);
  })();

  const str = (name: string) => pick(name) as string;
  const num = (name: string) => pick(name) as number;
  const bool = (name: string) => pick(name) as boolean;
  const urlTemplate = str("streamlink.url_template");
  if (!urlTemplate.includes("{user}")) {
    warnings.push(
      `"streamlink.url_template" has no {user} placeholder: every channel gets the same URL`,
    );
  }

  const config: Config = {
    source: { path: filePath, exists: fileText !== undefined },
    paths: {
      recordDir: str("paths.record_dir"),
      queueDir: str("paths.queue_dir"),
      logsDir: str("paths.logs_dir"),
      runtimeDir: str("paths.runtime_dir"),
      stateDir: dirs.stateDir,
    },
    limits: { recordLimit: num("limits.record_limit") },
    storage: { diskFreeMinBytes },
    record: {
      quality: str("record.quality"),
      retryDelay: num("record.retry_delay"),
      retryWindow: num("record.retry_window"),
      loglevel: str("record.loglevel"),
      enableRemux: bool("record.enable_remux"),
      deleteTsAfterRemux: bool("record.delete_ts_after_remux"),
      deleteInputOnSuccess: bool("record.delete_input_on_success"),
    },
    encodeDaemon: {
      preset: str("encode_daemon.preset"),
      crf: num("encode_daemon.crf"),
      threads: num("encode_daemon.threads"),
      height: num("encode_daemon.height"),
      fps: String(pick("encode_daemon.fps")),
      loglevel: str("encode_daemon.loglevel"),
      videoCodec: str("encode_daemon.video_codec"),
      audioBitrate: str("encode_daemon.audio_bitrate"),
    },
    poller: {
      usersFile: str("poller.users_file"),
      interval: num("poller.interval"),
      intervalSet: layers.some((layer) => layer.has("poller.interval")),
      quality: str("poller.quality"),
      downloadCmd: str("poller.download_cmd"),
      timeout: num("poller.timeout"),
      probeConcurrency: num("poller.probe_concurrency"),
    },
    streamlink: {
      urlTemplate,
      extraArgs: pick("streamlink.extra_args") as string[],
    },
    twitch: {
      detect: str("twitch.detect") as Config["twitch"]["detect"],
      gqlUrl: str("twitch.gql_url"),
      gqlBatch: num("twitch.gql_batch"),
      clientId: str("twitch.client_id"),
      clientSecret: pick("twitch.client_secret") as string | undefined,
      helixUrl: str("twitch.helix_url"),
      oauthUrl: str("twitch.oauth_url"),
    },
  };
  return { config, warnings };
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
      const firstLine = error.message.split("\n")[0]?.replace(/^Invalid TOML document: /, "");
      throw new ConfigError(
        `Cannot parse config "${path}": line ${error.line}, column ${error.column}: ${firstLine}`,
        { cause: error },
      );
    }
    throw error;
  }
}

function readFileLayer(
  table: Record<string, unknown>,
  path: string,
  layer: Layer,
  warnings: string[],
  expand: (path: string) => string,
): void {
  for (const [section, body] of Object.entries(table)) {
    const sectionFields = CONFIG_FIELDS.filter((f) => f.section === section);
    if (sectionFields.length === 0) {
      warnings.push(`Unknown section "${section}" in config "${path}": ignored`);
      continue;
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw new ConfigError(
        `Cannot use config "${path}": "${section}" must be a [${section}] table`,
      );
    }
    for (const [key, raw] of Object.entries(body)) {
      const field = sectionFields.find((f) => f.key === key);
      if (!field) {
        warnings.push(`Unknown key "${section}.${key}" in config "${path}": ignored`);
        continue;
      }
      layer.set(
        fieldName(field),
        coerce(field, raw, expand, (expected) =>
          new ConfigError(
            `Cannot use config "${path}": expected ${expected} for "${fieldName(field)}", got ${
              JSON.stringify(raw)
            }`,
          )),
      );
    }
  }
}

const TRUE_WORDS = new Set(["1", "true", "yes", "on"]);
const FALSE_WORDS = new Set(["0", "false", "no", "off"]);
const FPS_PATTERN = /^(auto|\d+(\.\d+)?|\d+\/\d+)$/;

/** Reads one raw value (TOML native, or a string from env/CLI) as the field's kind. */
function coerce(
  field: FieldSpec,
  raw: unknown,
  expand: (path: string) => string,
  fail: (expected: string) => Error,
): unknown {
  const text = typeof raw === "string" ? raw.trim() : undefined;
  switch (field.kind) {
    case "string": {
      if (text === undefined || text === "") throw fail("a non-empty string");
      if (field.choices && !field.choices.includes(text)) {
        throw fail(`one of ${field.choices.join(", ")}`);
      }
      return text;
    }
    case "path": {
      if (text === undefined || text === "") throw fail("a path");
      return expand(text);
    }
    case "int":
    case "number": {
      const value = typeof raw === "number"
        ? raw
        : text !== undefined && text !== ""
        ? Number(text)
        : NaN;
      const isInt = field.kind === "int";
      const expected = describeNumber(field, isInt);
      if (!Number.isFinite(value) || (isInt && !Number.isInteger(value))) throw fail(expected);
      if (field.min !== undefined && value < field.min) throw fail(expected);
      if (field.max !== undefined && value > field.max) throw fail(expected);
      return value;
    }
    case "bool": {
      if (typeof raw === "boolean") return raw;
      const word = text?.toLowerCase() ?? "";
      if (TRUE_WORDS.has(word)) return true;
      if (FALSE_WORDS.has(word)) return false;
      throw fail("true or false");
    }
    case "string_list": {
      if (!Array.isArray(raw) || raw.some((item) => typeof item !== "string")) {
        throw fail("an array of strings");
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

function describeNumber(field: FieldSpec, isInt: boolean): string {
  const noun = isInt ? "an integer" : "a number";
  if (field.min !== undefined && field.max !== undefined) {
    return `${noun} from ${field.min} to ${field.max}`;
  }
  if (field.min !== undefined) return `${noun} >= ${field.min}`;
  return noun;
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

function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}
