import { ensurePrivateDir } from "../state/atomic_write.ts";
import {
  configure,
  getLogger,
  getTextFormatter,
  jsonLinesFormatter,
  type LogRecord,
  type Sink,
} from "@logtape/logtape";
import { AsyncLocalStorage } from "node:async_hooks";
import { fstatSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { writeText } from "./output.ts";
import { maskSecrets } from "../proc/streamlink_args.ts";
import { SESSION_LOG_MAX_MB_PROPERTY, SESSION_LOG_PROPERTY } from "../util/log_context.ts";
import {
  appendLogText,
  type LogRotation,
  logRotation,
  rotateLogIfLarge,
} from "../state/log_rotation.ts";

let secretsToMask: readonly string[] = [];

/**
 * Values no log line may show (the OAuth token of `streamlink.extra_args`): every line the sink
 * writes has them replaced with `***`, whatever logged it (our messages, streamlink's echoed
 * arguments at `loglevel = "debug"`, error details). Set once the config is loaded.
 */
export function maskInLogs(secrets: readonly string[]): void {
  secretsToMask = [...secrets];
}

/** Adds to the values {@link maskInLogs} set (a reloaded config's): none set before is unmasked. */
export function alsoMaskInLogs(secrets: readonly string[]): void {
  secretsToMask = [...new Set([...secretsToMask, ...secrets])];
}

/** Sink and format choices taken from the global options and environment. */
export interface LoggingOptions {
  /** `--json-logs`: one JSON object per line. */
  readonly json: boolean;
  /** Under systemd logs go to stdout (the journal); otherwise to stderr, keeping stdout for output. */
  readonly toStdout: boolean;
  readonly level?: "debug" | "info" | "warning" | "error";
}

/** True when started by systemd, whose journal reads stdout. */
export function underSystemd(env: (name: string) => string | undefined): boolean {
  return Boolean(env("INVOCATION_ID") || env("JOURNAL_STREAM"));
}

/** The options of the running setup, so {@link addLogFile} can extend it. */
let current: LoggingOptions | undefined;

/**
 * Configures the one logging setup of the process. Writes synchronously so nothing is lost
 * when `main` exits right after logging an error.
 */
export async function configureLogging(
  options: LoggingOptions,
  logFile?: LogFileTarget,
): Promise<void> {
  current = options;
  const formatter = options.json
    ? jsonLinesFormatter
    : getTextFormatter({ timestamp: "date-time" });
  const writer = (stream: { writeSync(bytes: Uint8Array): number }): Sink => (record: LogRecord) =>
    writeText(stream, maskSecrets(formatter(record), secretsToMask));
  const sinks: Record<string, Sink> = {
    main: writer(options.toStdout ? Deno.stdout : Deno.stderr),
  };
  if (logFile) sinks.file = logFileSink(logFile, formatter);
  sinks.session = sessionLogSink(formatter);
  await configure({
    reset: true,
    contextLocalStorage: new AsyncLocalStorage(),
    sinks,
    loggers: [
      {
        category: ["twitchtool"],
        lowestLevel: options.level ?? "info",
        sinks: Object.keys(sinks),
      },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["main"] },
    ],
  });
}

/**
 * Also appends every log line to `path` (a manual `record` writes `<logs_dir>/<user>.log`
 * like the recorders the poller starts), unless stdout or stderr already is that file, as
 * for those recorders. `header` opens this run's section of the file. A file that cannot be
 * written is a warning only.
 */
export async function addLogFile(
  path: string,
  header: string,
  rotation?: LogRotation,
): Promise<void> {
  if (!current) return;
  for (const fd of [1, 2]) {
    if (await isFileAt(fd, path)) return;
  }
  try {
    await ensurePrivateDir(dirname(path));
    rotateLogIfLarge(path, rotation);
    appendLogText(path, `${header}\n`);
    await Deno.chmod(path, 0o600);
  } catch (error) {
    // The log file is a convenience: never a reason not to record.
    getLogger(["twitchtool"]).warn("Cannot write the log file {path}: {error}", {
      path,
      error: (error as Error).message,
    });
    return;
  }
  await configureLogging(current, { path, ...(rotation ? { rotation } : {}) });
}

/** The log file a process adds with {@link addLogFile}, and its rotation. */
export interface LogFileTarget {
  readonly path: string;
  readonly rotation?: LogRotation;
}

/**
 * Appends every record to the log file, opened per line (O_APPEND) so that a rotation, by this
 * process or another, is followed from the next line on (see `state/log_rotation.ts`).
 */
function logFileSink(target: LogFileTarget, formatter: (record: LogRecord) => string): Sink {
  return (record: LogRecord) => {
    try {
      appendLogText(
        target.path,
        maskSecrets(formatter(record), secretsToMask),
        target.rotation,
      );
    } catch {
      // The main sink has the line already; a log file is never a reason to stop recording.
    }
  };
}

/**
 * Appends each record logged inside a hosted recording's context to that recording's log file
 * (see {@link SESSION_LOG_PROPERTY}); records without it are not this sink's. Opened per line
 * with O_APPEND, as the detached streamlink writing the same file also appends.
 */
function sessionLogSink(formatter: (record: LogRecord) => string): Sink {
  return (record: LogRecord) => {
    const path = record.properties[SESSION_LOG_PROPERTY];
    if (typeof path !== "string") return;
    try {
      // The logs folder may not exist before the session's first streamlink starts.
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      const maxMb = record.properties[SESSION_LOG_MAX_MB_PROPERTY];
      appendLogText(
        path,
        maskSecrets(formatter(record), secretsToMask),
        typeof maxMb === "number" ? logRotation(maxMb) : undefined,
      );
    } catch {
      // The main sink has the line already; a log file is never a reason to stop recording.
    }
  };
}

/**
 * Whether file descriptor `fd` is the file at `path`. `fstat` of the descriptor, not a stat of
 * `/proc/self/fd/N`: Deno wants --allow-all for those paths, and the binary never has it.
 */
async function isFileAt(fd: number, path: string): Promise<boolean> {
  try {
    const open = fstatSync(fd);
    const file = await Deno.stat(path);
    return open.dev === file.dev && open.ino === file.ino;
  } catch {
    return false;
  }
}
