/**
 * Typed errors that callers handle, each carrying the documented exit code. Only `src/main.ts`
 * turns them into a process exit, so the mapping lives here and nowhere else.
 */
import { isNoSpaceError } from "./util/disk_space.ts";

/** The documented exit codes, kept identical to the original twitchtool. */
export const ExitCode = {
  Ok: 0,
  Failure: 1,
  Usage: 2,
  AlreadyRunning: 3,
  NoSlot: 4,
  NothingCaptured: 5,
  MergeFailed: 6,
  LowDisk: 7,
} as const;
export type ExitCode = typeof ExitCode[keyof typeof ExitCode];

/** Base class: an error whose message is meant for the user and which maps to an exit code. */
export class TwitchtoolError extends Error {
  readonly exitCode: ExitCode;
  constructor(message: string, exitCode: ExitCode, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name; // each subclass is named after itself
    this.exitCode = exitCode;
  }
}

/** Bad command line: unknown option, invalid value or username. */
export class UsageError extends TwitchtoolError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, ExitCode.Usage, options);
  }
}

/** The config file or an environment override cannot be used; names the file/variable and key. */
export class ConfigError extends TwitchtoolError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, ExitCode.Usage, options);
  }
}

/** A required external program (streamlink, ffmpeg, ffprobe) is not on PATH. */
export class MissingToolError extends TwitchtoolError {
  constructor(readonly tool: string) {
    super(
      `Cannot find "${tool}" on PATH: install it (e.g. apt-get install ${tool})`,
      ExitCode.Usage,
    );
  }
}

/** Another process holds the lock: a channel already being recorded, or a second daemon. */
export class AlreadyRunningError extends TwitchtoolError {
  constructor(message: string) {
    super(message, ExitCode.AlreadyRunning);
  }
}

/** Every recording slot is taken and the caller asked not to wait (`--fail-fast`). */
export class SlotUnavailableError extends TwitchtoolError {
  constructor(message: string) {
    super(message, ExitCode.NoSlot);
  }
}

/** The recorder ended without a single byte of stream on disk. */
export class NothingCapturedError extends TwitchtoolError {
  constructor(message: string) {
    super(message, ExitCode.NothingCaptured);
  }
}

/** Parts were captured but could not be turned into a verified deliverable; parts are kept. */
export class MergeFailedError extends TwitchtoolError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, ExitCode.MergeFailed, options);
  }
}

/** Free space on the recordings filesystem is below `disk_free_min`. */
export class LowDiskError extends TwitchtoolError {
  constructor(message: string) {
    super(message, ExitCode.LowDisk);
  }
}

/**
 * Twitch's API did not give a usable answer (HTTP error, timeout, malformed body). The poller
 * handles it by probing with streamlink for that cycle; it never ends a process.
 */
export class TwitchApiError extends TwitchtoolError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, ExitCode.Failure, options);
  }
}

/**
 * Exit code for any error: typed errors carry theirs, a full disk (ENOSPC) anywhere is low disk,
 * anything else is a generic failure.
 */
export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof TwitchtoolError) return error.exitCode;
  return isNoSpaceError(error) ? ExitCode.LowDisk : ExitCode.Failure;
}

/** Verbs for the system calls whose failures reach the user, in their words. */
const SYSCALL_VERBS: Readonly<Record<string, string>> = {
  readdir: "list",
  stat: "read",
  lstat: "read",
  readfile: "read",
  open: "open",
  mkdir: "create",
  rename: "rename",
  remove: "remove",
  statfs: "check free space of",
  writefile: "write",
};

/**
 * One line for a file-system error a user can fix (a file where a folder belongs, missing
 * rights...), e.g. `Cannot list "/a/b": Not a directory`; undefined for anything else, which
 * is a bug and keeps its stack trace. Handles Deno's and node:fs's shapes.
 */
export function describeSystemError(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const node = error as Error & { code?: string; syscall?: string; path?: string };
  if (typeof node.code === "string" && typeof node.syscall === "string" && node.path) {
    const reason = /^\w+: ([^,]+),/.exec(error.message)?.[1] ?? node.code;
    const verb = SYSCALL_VERBS[node.syscall] ?? node.syscall;
    return `Cannot ${verb} ${JSON.stringify(node.path)}: ${capitalize(reason)}`;
  }
  const kinds = [
    Deno.errors.NotFound,
    Deno.errors.NotADirectory,
    Deno.errors.IsADirectory,
    Deno.errors.PermissionDenied,
    Deno.errors.AlreadyExists,
  ];
  if (!kinds.some((kind) => error instanceof kind)) return undefined;
  const match = /^(.*?) \(os error \d+\)(?:: (\w+) '(.*)')?$/.exec(error.message);
  if (!match) return error.message;
  const [, reason, syscall, path] = match;
  if (!syscall || path === undefined) return reason;
  return `Cannot ${SYSCALL_VERBS[syscall] ?? syscall} ${JSON.stringify(path)}: ${reason}`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
