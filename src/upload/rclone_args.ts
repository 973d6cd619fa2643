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
 * second. rclone's own whole-run retries are off (`--retries 1`): the worker retries with its
 * own back-off and says so in `status`.
 */
export function copyArgs(settings: RcloneSettings, local: string, remote: string): string[] {
  return [
    "copyto",
    local,
    remote,
    "--use-json-log",
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

/** `rclone hashsum sha256 --download`: for remotes without hashes, the content read back. */
export function downloadHashArgs(settings: RcloneSettings, remote: string): string[] {
  return ["hashsum", "sha256", "--download", remote, ...commonArgs(settings)];
}

/** `rclone lsd <remote>`: `doctor`'s check that the remote answers and lets us in. */
export function lsdArgs(settings: RcloneSettings & { remote: string }): string[] {
  return ["lsd", "--max-depth", "1", settings.remote, ...commonArgs(settings)];
}

/** Hashes the check accepts, strongest first (each is computed locally to compare). */
export const HASH_TYPES = ["sha256", "sha1", "md5"] as const;
