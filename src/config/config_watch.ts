/**
 * A daemon's config, re-read when config.toml changes or on request (SIGHUP): the poller and
 * the encoder run for weeks, and a restart to change one channel's quality would cut nothing
 * but still costs a moment of attention. A file that does not validate is never applied: the
 * last good config stays in force and {@link ConfigWatch.state} says the file on disk is not,
 * for `status`, the page and a notification. Keys fixed for the process's life (the folders, the
 * status page's address, the detector) keep their running value, and the reload says which
 * ones wait for a restart.
 */
import { getLogger } from "@logtape/logtape";
import type { Config } from "./config.ts";
import { CONFIG_FIELDS, fieldName, type FieldSpec } from "./schema.ts";
import { configProperty } from "./schema_config.ts";
import type { Clock } from "../util/clock.ts";

const log = getLogger(["twitchtool", "config"]);

/** What a daemon's status says about its config file (`status --json`'s `config`). */
export interface ConfigFileState {
  /** The file watched. */
  readonly path: string;
  /** Whether the file on disk is the config in force (false: it did not validate). */
  readonly in_force: boolean;
  /** When the config in force was read. */
  readonly loaded_at: string;
  /** Why the file on disk is not in force, and since when. */
  readonly error?: { readonly at: string; readonly message: string };
  /** Keys changed on disk that only a restart applies. */
  readonly restart_needed?: readonly string[];
}

/** What a reload did. */
export type ReloadOutcome = "unchanged" | "applied" | "refused";

/** How a {@link ConfigWatch} reads the config and tells about a new one. */
export interface ConfigWatchOptions {
  /** Loads the config the way the daemon's command did (same file, flags and environment). */
  readonly load: () => Promise<Config>;
  /** `section.key` names (or `section.` prefixes) that only change with a restart. */
  readonly fixed: readonly string[];
  readonly clock: Clock;
  /** Hears each config applied (after a change on disk or a SIGHUP). */
  readonly applied?: (config: Config) => void;
  /** Hears a config refused: one call per new error. */
  readonly refused?: (path: string, message: string) => void;
}

/** Identity of the file's content as `stat` tells it: a change of any part means re-read. */
type FileStamp = string;

/** The config in force and the state of the file behind it (see the module doc). */
export class ConfigWatch {
  #config: Config;
  #stamp: FileStamp | undefined;
  #state: ConfigFileState;
  #checking: Promise<ReloadOutcome> | undefined;

  private constructor(
    config: Config,
    stamp: FileStamp,
    private readonly options: ConfigWatchOptions,
  ) {
    this.#config = config;
    this.#stamp = stamp;
    this.#state = {
      path: config.source.path,
      in_force: true,
      loaded_at: new Date(options.clock.now()).toISOString(),
    };
  }

  /** Starts watching from `config`, the one the daemon was started with. */
  static async start(config: Config, options: ConfigWatchOptions): Promise<ConfigWatch> {
    return new ConfigWatch(config, await fileStamp(config.source.path), options);
  }

  /** The config in force. */
  get current(): Config {
    return this.#config;
  }

  /** For the daemon's status file. */
  get state(): ConfigFileState {
    return this.#state;
  }

  /**
   * Re-reads the file when it changed since the last read (always with `force`, as SIGHUP
   * asks), and applies it when it validates. Never throws; concurrent calls share one read.
   */
  check(force = false): Promise<ReloadOutcome> {
    this.#checking ??= this.#check(force).finally(() => this.#checking = undefined);
    return this.#checking;
  }

  async #check(force: boolean): Promise<ReloadOutcome> {
    const path = this.#config.source.path;
    const stamp = await fileStamp(path);
    if (!force && stamp === this.#stamp) return "unchanged";
    this.#stamp = stamp;
    const now = new Date(this.options.clock.now()).toISOString();
    let loaded: Config;
    try {
      loaded = await this.options.load();
    } catch (error) {
      const message = (error as Error).message.replaceAll("\n", "; ");
      if (this.#state.error?.message !== message) {
        log.error(
          "Config {path} not applied, the last good one stays in force: {error}",
          { path, error: message },
        );
        this.options.refused?.(path, message);
      }
      const since = this.#state.error?.message === message ? this.#state.error.at : now;
      this.#state = { ...this.#state, in_force: false, error: { at: since, message } };
      return "refused";
    }
    const { config, restartNeeded } = keepFixed(this.#config, loaded, this.options.fixed);
    this.#config = config;
    this.#state = {
      path,
      in_force: true,
      loaded_at: now,
      ...(restartNeeded.length > 0 ? { restart_needed: restartNeeded } : {}),
    };
    log.info(
      restartNeeded.length > 0
        ? "Config {path} applied; {keys} change only with a restart"
        : "Config {path} applied",
      { path, keys: restartNeeded.map((key) => `"${key}"`).join(", ") },
    );
    try {
      this.options.applied?.(config);
    } catch (error) {
      log.error("Cannot apply config {path}: {error}", { path, error: (error as Error).message });
    }
    return "applied";
  }
}

/**
 * `next` with every fixed key at its running value (the paths as a whole: the session and
 * state folders derive from them), and the fixed keys whose value on disk differs.
 */
export function keepFixed(
  running: Config,
  next: Config,
  fixed: readonly string[],
): { config: Config; restartNeeded: string[] } {
  const isFixed = (field: FieldSpec) =>
    fixed.some((name) =>
      name.endsWith(".") ? fieldName(field).startsWith(name) : fieldName(field) === name
    );
  const sections: Record<string, Record<string, unknown>> = {};
  const restartNeeded: string[] = [];
  const view = (config: Config, section: string) =>
    (config as unknown as Record<string, Record<string, unknown>>)[section] ?? {};
  for (const field of CONFIG_FIELDS.filter(isFixed)) {
    const { section, property } = configProperty(field);
    const before = view(running, section)[property];
    if (JSON.stringify(before) !== JSON.stringify(view(next, section)[property])) {
      restartNeeded.push(fieldName(field));
    }
    sections[section] = { ...view(next, section), ...sections[section], [property]: before };
  }
  const config = { ...next, ...sections, paths: running.paths, source: running.source } as Config;
  return { config, restartNeeded: [...new Set(restartNeeded)] };
}

/** The file's inode, size and modification time, or "missing". */
async function fileStamp(path: string): Promise<FileStamp> {
  try {
    const info = await Deno.stat(path);
    return `${info.ino}:${info.size}:${info.mtime?.getTime()}`;
  } catch {
    return "missing";
  }
}
