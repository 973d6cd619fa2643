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
    this.name = "TwitchtoolError";
    this.exitCode = exitCode;
  }
}

/** Bad command line: unknown option, invalid value or username. */
export class UsageError extends TwitchtoolError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, ExitCode.Usage, options);
    this.name = "UsageError";
  }
}

/** The config file or an environment override cannot be used; names the file/variable and key. */
export class ConfigError extends TwitchtoolError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, ExitCode.Usage, options);
    this.name = "ConfigError";
  }
}

/** A required external program (streamlink, ffmpeg, ffprobe) is not on PATH. */
export class MissingToolError extends TwitchtoolError {
  constructor(readonly tool: string) {
    super(
      `Cannot find "${tool}" on PATH: install it (e.g. apt-get install ${tool})`,
      ExitCode.Usage,
    );
    this.name = "MissingToolError";
  }
}

/** Another process holds the lock: a channel already being recorded, or a second daemon. */
export class AlreadyRunningError extends TwitchtoolError {
  constructor(message: string) {
    super(message, ExitCode.AlreadyRunning);
    this.name = "AlreadyRunningError";
  }
}

/** Every recording slot is taken and the caller asked not to wait (`--fail-fast`). */
export class SlotUnavailableError extends TwitchtoolError {
  constructor(message: string) {
    super(message, ExitCode.NoSlot);
    this.name = "SlotUnavailableError";
  }
}

/** The recorder ended without a single byte of stream on disk. */
export class NothingCapturedError extends TwitchtoolError {
  constructor(message: string) {
    super(message, ExitCode.NothingCaptured);
    this.name = "NothingCapturedError";
  }
}

/** Parts were captured but could not be turned into a verified deliverable; parts are kept. */
export class MergeFailedError extends TwitchtoolError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, ExitCode.MergeFailed, options);
    this.name = "MergeFailedError";
  }
}

/** Free space on the recordings filesystem is below `disk_free_min`. */
export class LowDiskError extends TwitchtoolError {
  constructor(message: string) {
    super(message, ExitCode.LowDisk);
    this.name = "LowDiskError";
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
