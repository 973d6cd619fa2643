import {
  configure,
  getTextFormatter,
  jsonLinesFormatter,
  type LogRecord,
  reset,
  type Sink,
} from "@logtape/logtape";
import { maskSecrets } from "../proc/streamlink_args.ts";

let secretsToMask: readonly string[] = [];

/**
 * Values no log line may show (the OAuth token of `streamlink.extra_args`): every line the sink
 * writes has them replaced with `***`, whatever logged it (our messages, streamlink's echoed
 * arguments at `loglevel = "debug"`, error details). Set once the config is loaded.
 */
export function maskInLogs(secrets: readonly string[]): void {
  secretsToMask = [...secrets];
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

/**
 * Configures the one logging setup of the process. Writes synchronously so nothing is lost
 * when `main` exits right after logging an error.
 */
export async function configureLogging(options: LoggingOptions): Promise<void> {
  const formatter = options.json
    ? jsonLinesFormatter
    : getTextFormatter({ timestamp: "date-time" });
  const stream = options.toStdout ? Deno.stdout : Deno.stderr;
  const encoder = new TextEncoder();
  const sink: Sink = (record: LogRecord) => {
    const bytes = encoder.encode(maskSecrets(formatter(record), secretsToMask));
    let written = 0;
    while (written < bytes.length) written += stream.writeSync(bytes.subarray(written));
  };
  await configure({
    reset: true,
    sinks: { main: sink },
    loggers: [
      { category: ["twitchtool"], lowestLevel: options.level ?? "info", sinks: ["main"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["main"] },
    ],
  });
}

/** Drops the logging setup (tests). */
export async function resetLogging(): Promise<void> {
  await reset();
}
