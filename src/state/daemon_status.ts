/**
 * The daemons' status files, `<state_dir>/poller.status.json` and `encoder.status.json`: their
 * names, their shapes, the one writer and the parsers. The daemons write them and `status`,
 * `poller status`, `encode-daemon status`, `doctor` and the next encoder read them, so the
 * shape is declared once here and every read is checked: a field may be missing (a file from
 * a daemon that is starting, or from an older version) but a file that is not JSON, not an
 * object or has a field of the wrong type is reported as unreadable, never cast.
 */
import type { ConfigFileState } from "../config/config_watch.ts";
import { join } from "node:path";
import { isJsonObject } from "../util/is_json_object.ts";
import { readJsonFile, writeJsonAtomic } from "./atomic_write.ts";

/** The long-running processes; one instance of each at a time. */
export type DaemonName = "encoder" | "poller";

/** `<state_dir>/<name>.lock|.pid|.status.json`. */
export function daemonPaths(stateDir: string, name: DaemonName) {
  return {
    lock: join(stateDir, `${name}.lock`),
    pid: join(stateDir, `${name}.pid`),
    status: join(stateDir, `${name}.status.json`),
  };
}

/** Added to every status file by {@link writeDaemonStatus}. */
export interface StatusStamp {
  readonly pid: number;
  readonly updated_at: string;
}

/** A recorder a poller cycle started (for a hosted recording, `pid` is the poller's). */
export interface LaunchRecord {
  readonly user: string;
  readonly pid: number;
  /** Where its streamlink output goes. */
  readonly log: string;
}

/** A live channel that was not launched, and why. */
export interface SkipRecord {
  readonly user: string;
  readonly reason: string;
}

/** A users-file line that is not a channel name. */
export interface InvalidLine {
  /** 1-based line number. */
  readonly line: number;
  readonly text: string;
}

/** What one poller cycle saw and did. */
export interface PollerCycleFields {
  /** Which detector answered: `streamlink` also when the API failed this cycle. */
  readonly detector: string;
  readonly users: number;
  readonly invalid: InvalidLine[];
  readonly live: string[];
  readonly offline: string[];
  readonly timed_out: string[];
  readonly probe_errors: string[];
  /** Channels Twitch's API does not know. */
  readonly unknown: string[];
  readonly launched: LaunchRecord[];
  readonly skipped: SkipRecord[];
  /** Recordings counted against the limit after this cycle's launches. */
  readonly active: number;
}

/** What the poller's state is. */
export type PollerState = "starting" | "running" | "stopped";

/** Contents of `poller.status.json` as the poller writes it (before the {@link StatusStamp}). */
export interface PollerStatus extends Partial<PollerCycleFields> {
  readonly state: PollerState;
  readonly started_at: string;
  readonly last_poll: string | null;
  readonly next_poll: string | null;
  readonly interval_seconds: number;
  readonly record_limit: number;
  readonly users_file: string;
  /** Cycles completed since this poller started (the status page's proof of progress). */
  readonly cycles?: number;
  /** How long the last cycle took, in seconds (`twitchtool_poll_duration_seconds`). */
  readonly cycle_seconds?: number;
  readonly last_error?: string;
  /** The API's most recent failure (kept after it answers again, with its time). */
  readonly detector_error?: { readonly at: string; readonly message: string };
  /** The config file: whether the one on disk is in force (config/config_watch.ts). */
  readonly config?: ConfigFileState;
  /** Channels followed through a rename on Twitch (poll/channel_renames.ts). */
  readonly renamed?: readonly RenameRecord[];
}

/** A rename the poller followed, as `status` shows it. */
export interface RenameRecord {
  readonly from: string;
  readonly to: string;
  readonly at: string;
}

/** What the encoder is doing. */
export type EncoderState = "idle" | "encoding" | "paused" | "low-disk";

/** The job being encoded. */
export interface CurrentJobStatus {
  /** The claimed job file (under `<queue_dir>/running/`). */
  readonly job: string;
  readonly input: string;
  readonly output: string;
  /** 0-100, one decimal; `null` until ffmpeg reports. */
  readonly percent: number | null;
  /** Multiple of real time; `null` until ffmpeg reports. */
  readonly speed: number | null;
  readonly eta_seconds: number | null;
  /** Lets a later encoder kill this ffmpeg if this process dies without stopping it. */
  readonly ffmpeg_pid: number | null;
}

/** Contents of `encoder.status.json` as the encoder writes it (before the {@link StatusStamp}). */
export interface EncoderStatus {
  readonly started_at: string;
  readonly state: EncoderState;
  readonly paused: boolean;
  /** Jobs waiting in `jobs/`, not counting the current one. */
  readonly queue_length: number;
  readonly current_job: CurrentJobStatus | null;
  /** The config file: whether the one on disk is in force (config/config_watch.ts). */
  readonly config?: ConfigFileState;
}

/** What each daemon writes. */
export interface DaemonStatuses {
  readonly poller: PollerStatus;
  readonly encoder: EncoderStatus;
}

/**
 * A status file as read back: every field may be missing (a starting daemon, an older
 * version), every present one has its declared type.
 */
export type ReadStatus<N extends DaemonName> = Partial<DaemonStatuses[N] & StatusStamp>;

/** The outcome of reading a status file. */
export type StatusRead<N extends DaemonName> =
  | { readonly kind: "missing" }
  | { readonly kind: "unreadable"; readonly reason: string }
  | { readonly kind: "ok"; readonly status: ReadStatus<N> };

/** Writes `status` atomically, stamped with this process's pid and the time. */
export function writeDaemonStatus<N extends DaemonName>(
  stateDir: string,
  name: N,
  status: DaemonStatuses[N],
): Promise<void> {
  const stamp: StatusStamp = { pid: Deno.pid, updated_at: new Date().toISOString() };
  return writeJsonAtomic(daemonPaths(stateDir, name).status, { ...stamp, ...status });
}

/** Reads and checks a daemon's status file. */
export async function readDaemonStatus<N extends DaemonName>(
  stateDir: string,
  name: N,
): Promise<StatusRead<N>> {
  let value: unknown;
  try {
    value = await readJsonFile(daemonPaths(stateDir, name).status);
  } catch (error) {
    return { kind: "unreadable", reason: (error as Error).message };
  }
  if (value === undefined) return { kind: "missing" };
  return parseDaemonStatus(name, value);
}

/** Checks a parsed status file against the shape `name` writes. */
export function parseDaemonStatus<N extends DaemonName>(name: N, value: unknown): StatusRead<N> {
  try {
    const status = name === "poller" ? parsePoller(value) : parseEncoder(value);
    return { kind: "ok", status: status as ReadStatus<N> };
  } catch (error) {
    if (!(error instanceof Unreadable)) throw error;
    return { kind: "unreadable", reason: error.message };
  }
}

/** A status file that does not have the declared shape (caught in {@link parseDaemonStatus}). */
class Unreadable extends Error {
  override name = "Unreadable";
}

/** Checks one value; throws {@link Unreadable} naming what it should have been. */
type Check<T> = (value: unknown, at: string) => T;

function expect<T>(test: (value: unknown) => boolean, what: string): Check<T> {
  return (value, at) => {
    if (!test(value)) throw new Unreadable(`"${at}" is not ${what}`);
    return value as T;
  };
}

const text = expect<string>((v) => typeof v === "string", "a string");
const count = expect<number>((v) => typeof v === "number" && Number.isFinite(v), "a number");
const flag = expect<boolean>((v) => typeof v === "boolean", "true or false");
const oneOf = <T extends string>(...values: T[]) =>
  expect<T>((v) => values.includes(v as T), `one of ${values.join(", ")}`);

function orNull<T>(check: Check<T>): Check<T | null> {
  return (value, at) => value === null ? null : check(value, at);
}

function listOf<T>(check: Check<T>): Check<T[]> {
  return (value, at) => {
    if (!Array.isArray(value)) throw new Unreadable(`"${at}" is not a list`);
    return value.map((item, index) => check(item, `${at}[${index}]`));
  };
}

/**
 * An object whose listed fields, when present, pass their checks; a missing field is an error
 * when `required`, takes its value from `defaults` when there is one, and is left out
 * otherwise. Fields nobody declared are dropped.
 */
function record<T>(
  checks: { readonly [K in keyof T]-?: Check<T[K]> },
  required: readonly (keyof T)[] = [],
  defaults: Partial<T> = {},
): Check<T> {
  return (value, at) => {
    if (!isJsonObject(value)) {
      throw new Unreadable(`${at ? `"${at}"` : "the file"} is not an object`);
    }
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(checks) as (keyof T & string)[]) {
      const path = at ? `${at}.${key}` : key;
      if (value[key] === undefined) {
        if (required.includes(key)) throw new Unreadable(`"${path}" is missing`);
        if (key in defaults) out[key] = defaults[key];
        continue;
      }
      out[key] = checks[key](value[key], path);
    }
    return out as T;
  };
}

const stampChecks = { pid: count, updated_at: text };

/** A daemon's `config` field as read back. */
const configFileState = record<ConfigFileState>({
  path: text,
  in_force: flag,
  loaded_at: text,
  error: record({ at: text, message: text }, ["at", "message"]),
  restart_needed: listOf(text),
}, ["path", "in_force", "loaded_at"]);

const parsePoller = (value: unknown): ReadStatus<"poller"> =>
  record<ReadStatus<"poller">>({
    ...stampChecks,
    state: oneOf("starting", "running", "stopped"),
    started_at: text,
    last_poll: orNull(text),
    next_poll: orNull(text),
    interval_seconds: count,
    record_limit: count,
    users_file: text,
    cycles: count,
    cycle_seconds: count,
    last_error: text,
    detector_error: record({ at: text, message: text }, ["at", "message"]),
    config: configFileState,
    renamed: listOf(record<RenameRecord>({ from: text, to: text, at: text }, ["from", "to", "at"])),
    detector: text,
    users: count,
    invalid: listOf(record<InvalidLine>({ line: count, text }, ["line", "text"])),
    live: listOf(text),
    offline: listOf(text),
    timed_out: listOf(text),
    probe_errors: listOf(text),
    unknown: listOf(text),
    launched: listOf(
      record<LaunchRecord>({ user: text, pid: count, log: text }, ["user", "pid", "log"]),
    ),
    skipped: listOf(record<SkipRecord>({ user: text, reason: text }, ["user", "reason"])),
    active: count,
  })(value, "");

const parseEncoder = (value: unknown): ReadStatus<"encoder"> =>
  record<ReadStatus<"encoder">>({
    ...stampChecks,
    started_at: text,
    state: oneOf("idle", "encoding", "paused", "low-disk"),
    paused: flag,
    queue_length: count,
    config: configFileState,
    current_job: orNull(record<CurrentJobStatus>(
      {
        job: text,
        input: text,
        output: text,
        percent: orNull(count),
        speed: orNull(count),
        eta_seconds: orNull(count),
        ffmpeg_pid: orNull(count),
      },
      ["job", "input", "output"],
      {
        percent: null,
        speed: null,
        eta_seconds: null,
        ffmpeg_pid: null,
      },
    )),
  })(value, "");
