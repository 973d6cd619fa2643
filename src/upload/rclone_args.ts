/**
 * The argv of every rclone run, built by pure functions. No secret is ever on it: the config
 * file is named with `--config` (its passwords stay inside it, obscured by rclone), and
 * `RCLONE_CONFIG_PASS`, when the user sets it, stays in the environment rclone inherits.
 */
import type { UploadSettings } from "./upload_settings.ts";

type RcloneSettings = Pick<UploadSettings, "rcloneConfig" | "extraArgs">;

/** Options every run shares: the config file, then the user's `extra_args` (so they win). */
export function commonArgs(settings: RcloneSettings): string[] {
  return [
    ...(settings.rcloneConfig ? ["--config", settings.rcloneConfig] : []),
    ...settings.extraArgs,
  ];
}

/**
 * `rclone copyto`: one file to its exact remote path, progress as JSON lines on stderr every
 * second, and at debug level so rclone logs its own hash check of the copy (copy_check.ts).
 * rclone's own whole-run retries are off (`--retries 1`): the worker retries with its own
 * back-off and says so in `status`.
 */
export function copyArgs(settings: RcloneSettings, local: string, remote: string): string[] {
  return [
    "copyto",
    local,
    remote,
    "--use-json-log",
    "--log-level",
    "DEBUG",
    "--stats",
    "1s",
    "--stats-log-level",
    "NOTICE",
    "--retries",
    "1",
    ...commonArgs(settings),
  ];
}

/**
 * `rclone lsjson --stat`: size and the hashes of `hashTypes` the remote can give. Only the one
 * the check compares is asked for when known: a remote that computes hashes by reading the file
 * (local, SFTP with a shell) then reads it once for one hash, not for three.
 */
export function statArgs(
  settings: RcloneSettings,
  remote: string,
  hashTypes: readonly string[],
): string[] {
  const hashArgs = hashTypes.length > 0
    ? ["--hash", ...hashTypes.flatMap((type) => ["--hash-type", type])]
    : [];
  return ["lsjson", "--stat", ...hashArgs, remote, ...commonArgs(settings)];
}

/** `rclone backend features`: which hashes a remote supports (its `Hashes` list). */
export function featuresArgs(settings: RcloneSettings, remote: string): string[] {
  return ["backend", "features", remote, ...commonArgs(settings)];
}

/** `rclone hashsum <type> --download`: for remotes without hashes, the content read back. */
export function downloadHashArgs(
  settings: RcloneSettings,
  remote: string,
  hashType: string,
): string[] {
  return ["hashsum", hashType, "--download", remote, ...commonArgs(settings)];
}

/**
 * `rclone hashsum <type> <local file>`: our own hash of the local file, computed by rclone (Go's
 * hashes run two to three times as fast as Deno's here, and in a process of their own, beside the
 * remote's). Without `extra_args`: they are for the remote.
 */
export function localHashArgs(
  settings: Pick<RcloneSettings, "rcloneConfig">,
  local: string,
  hashType: string,
): string[] {
  return [
    "hashsum",
    hashType,
    local,
    ...(settings.rcloneConfig ? ["--config", settings.rcloneConfig] : []),
  ];
}

/** `rclone lsd <remote>`: `doctor`'s check that the remote answers and lets us in. */
export function lsdArgs(settings: RcloneSettings & { remote: string }): string[] {
  return ["lsd", "--max-depth", "1", settings.remote, ...commonArgs(settings)];
}

/**
 * Hashes the check accepts, in the order rclone's own copy check picks them (md5 first): the
 * hash the remote stores or computes is then the one `copyto` already compared, and the
 * cheapest to compute locally. Each is a check against transfer damage, not an attacker.
 */
export const HASH_TYPES = ["md5", "sha1", "sha256"] as const;

/**
 * The hash of a read-back, for a remote that keeps none: the cheapest to compute (rclone 1.60
 * here: sha1 0.66 s of CPU for 512 MiB, md5 1.07 s, sha256 1.24 s).
 */
export const READ_BACK_HASH = "sha1";
