/**
 * Deno permissions, declared once: the flags each role runs with (deno.json tasks and the
 * compiled binary are checked against these by a test) and what each subcommand drops at
 * dispatch with `Deno.permissions.revoke`.
 */

/** Environment variables twitchtool reads: base dirs, PATH and every config override. */
export const ENV_VARS = [
  "HOME",
  "PATH",
  "XDG_CONFIG_HOME",
  "XDG_STATE_HOME",
  "XDG_RUNTIME_DIR",
  "INVOCATION_ID",
  "JOURNAL_STREAM",
  "RECORD_LIMIT",
  "QUALITY",
  "RETRY_DELAY",
  "RETRY_WINDOW",
  "LOGLEVEL",
  "QUEUE_DIR",
  "REMUX_ENABLED",
  "DELETE_TS_AFTER_REMUX",
  "DELETE_INPUT_ON_SUCCESS",
  "ENCODER_*",
  "USERS_FILE",
  "POLL_INTERVAL",
  "DOWNLOAD_CMD",
  "PROBE_TIMEOUT",
  "PROBE_CONCURRENCY",
  "DISK_FREE_MIN_GB",
  "DISK_FREE_MIN_BYTES",
  "TWITCHTOOL_FAILPOINT",
] as const;

/**
 * Flags every role shares. Read/write cannot be narrower: the folders come from the config
 * file at run time and Deno fixes path lists at start-up. `sys` is limited to the uid (runtime
 * dir name) and statfs (free-space checks). No `--allow-net`: streamlink does the networking.
 */
export const COMMON_FLAGS = [
  "--allow-read",
  "--allow-write",
  `--allow-env=${ENV_VARS.join(",")}`,
  "--allow-sys=uid,statfs",
] as const;

/**
 * Programs each role may start. `kill` signals processes we did not spawn; `flock` starts
 * streamlink holding its session's capture lock (`src/proc/locked_command.ts`).
 */
export const ROLE_RUN = {
  record: ["streamlink", "ffmpeg", "ffprobe", "kill", "flock"],
  encoder: ["ffmpeg", "ffprobe", "nice", "ionice", "kill"],
  /** The poller launches the user's `download_cmd`, which can be any program: unrestricted. */
  poller: undefined,
} as const;

/** A role of the program with its own task in deno.json. */
export type Role = keyof typeof ROLE_RUN;

/** Full `deno run` flags of a role. */
export function roleFlags(role: Role): string[] {
  const run = ROLE_RUN[role];
  return [...COMMON_FLAGS, run ? `--allow-run=${run.join(",")}` : "--allow-run"];
}

/**
 * Flags of the compiled binary: the union of the roles, so run stays unrestricted (the
 * poller's `download_cmd`); each subcommand then revokes what it does not use.
 */
export function binaryFlags(): string[] {
  return roleFlags("poller");
}

/** What a subcommand keeps after dispatch. */
export interface CommandNeeds {
  readonly run: boolean;
  readonly write: boolean;
}

/** Per-subcommand needs; anything not listed keeps run and write. */
export const COMMAND_NEEDS: Readonly<Record<string, CommandNeeds>> = {
  help: { run: false, write: false },
  status: { run: false, write: true },
  clean: { run: false, write: true },
  users: { run: false, write: true },
  "encode-mode": { run: false, write: true },
  record: { run: true, write: true },
  recover: { run: true, write: true },
  stop: { run: true, write: true },
  poller: { run: true, write: true },
  "encode-daemon": { run: true, write: true },
  tscompress: { run: true, write: true },
  doctor: { run: true, write: true },
};

/** Revokes what `command` does not need; net and ffi are never needed. */
export async function dropPermissionsFor(command: string): Promise<void> {
  const needs = COMMAND_NEEDS[command] ?? { run: true, write: true };
  await Deno.permissions.revoke({ name: "net" });
  await Deno.permissions.revoke({ name: "ffi" });
  if (!needs.run) await Deno.permissions.revoke({ name: "run" });
  if (!needs.write) await Deno.permissions.revoke({ name: "write" });
}
