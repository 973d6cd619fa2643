/**
 * Deno permissions, declared once: the flags each role runs with (deno.json tasks and the
 * compiled binary are checked against these by a test) and what each subcommand drops at
 * dispatch with `Deno.permissions.revoke`.
 */

import { CONFIG_FIELDS } from "./config/schema.ts";

/** What the process itself needs from its environment: base dirs, PATH, systemd's markers. */
const PROCESS_ENV = [
  "HOME",
  "PATH",
  "XDG_CONFIG_HOME",
  "XDG_STATE_HOME",
  "XDG_RUNTIME_DIR",
  "INVOCATION_ID",
  "JOURNAL_STREAM",
] as const;

/** Test hooks and what the poller hands the recorders it launches. */
const INTERNAL_ENV = [
  "TWITCHTOOL_FAILPOINT",
  "TWITCHTOOL_LIVE_KEEP_SECONDS",
  "TWITCHTOOL_STREAM_ID",
  "TWITCHTOOL_LIVE_SINCE",
  "TWITCHTOOL_VOD_ID",
];

/**
 * Environment variables twitchtool reads: the process's own, every config override (taken
 * from the schema, so a new key's variable cannot be forgotten here) and the internal ones.
 */
export const ENV_VARS: readonly string[] = [
  ...PROCESS_ENV,
  ...CONFIG_FIELDS.flatMap((field) => field.env ? [field.env] : []),
  ...INTERNAL_ENV,
];

/**
 * Flags every role shares. Read/write cannot be narrower: the folders come from the config
 * file at run time and Deno fixes path lists at start-up. `sys` is limited to the uid (runtime
 * dir ownership check) and statfs (free-space checks). Network: see {@link roleFlags}.
 */
export const COMMON_FLAGS = [
  "--allow-read",
  "--allow-write",
  `--allow-env=${ENV_VARS.join(",")}`,
  "--allow-sys=uid,statfs",
] as const;

/**
 * The only hosts `doctor` contacts to check that Twitch answers: the GraphQL API, the Helix API,
 * the playlist host streamlink records from (`usher.ttvnw.net`), and loopback (tests point the
 * checks there). `doctor` keeps the network permission (it is a plain `--allow-net`, see
 * {@link roleFlags}) and refuses any other host itself (`src/cli/doctor_network.ts`). Nothing is
 * sent but a bare `HEAD` request.
 */
export const DOCTOR_NET_HOSTS = [
  "gql.twitch.tv",
  "api.twitch.tv",
  "usher.ttvnw.net",
  "127.0.0.1",
  "localhost",
] as const;

/**
 * Programs each role may start. `kill` signals processes we did not spawn; `flock` starts
 * streamlink holding its session's capture lock (`src/proc/locked_command.ts`); `apprise`
 * delivers notifications to services twitchtool has no built-in sender for; `fallocate` frees the
 * parts' prefix the file written while recording holds (`src/proc/punch_hole.ts`).
 */
export const ROLE_RUN = {
  record: ["streamlink", "ffmpeg", "ffprobe", "kill", "flock", "apprise", "fallocate"],
  encoder: ["ffmpeg", "ffprobe", "nice", "ionice", "kill", "apprise"],
  /** The poller launches the user's `download_cmd`, which can be any program: unrestricted. */
  poller: undefined,
} as const;

/** A role of the program with its own task in deno.json. */
export type Role = keyof typeof ROLE_RUN;

/**
 * Full `deno run` flags of a role. Every role may notify, and notification hosts come from the
 * user's config (`notify.urls`): Deno fixes host lists at start-up and cannot narrow a broad
 * grant later (revoking one host of `--allow-net` changes nothing), so the roles start with
 * `--allow-net` and each process drops network access at once unless it needs it: after
 * dispatch for commands that never notify, and once the config is read
 * ({@link settleNetPermission}) for the ones that do but have no HTTP target and are not
 * `poller run`. See docs/notifications.md.
 */
export function roleFlags(role: Role): string[] {
  const run = ROLE_RUN[role];
  return [
    ...COMMON_FLAGS,
    run ? `--allow-run=${run.join(",")}` : "--allow-run",
    "--allow-net",
  ];
}

/**
 * Flags of the compiled binary: the union of the roles, so run stays unrestricted (the
 * poller's `download_cmd`) and network is allowed; each subcommand then revokes what it does
 * not use.
 */
export function binaryFlags(): string[] {
  return roleFlags("poller");
}

/** What a subcommand keeps after dispatch. */
export interface CommandNeeds {
  readonly run: boolean;
  readonly write: boolean;
  /**
   * `poller run` (live detection through Twitch's API, and listening for the status page),
   * `status --serve` (listening) and `doctor` (does Twitch answer).
   */
  readonly net?: boolean;
  /** Sends notifications: keeps network until the config shows whether it has HTTP targets. */
  readonly notify?: boolean;
  /** Records, so with `[chat] enabled` it keeps network for the chat's WebSocket host. */
  readonly chat?: boolean;
}

/** Per-subcommand needs; anything not listed keeps run and write. */
export const COMMAND_NEEDS: Readonly<Record<string, CommandNeeds>> = {
  help: { run: false, write: false },
  completions: { run: false, write: false },
  history: { run: false, write: false },
  status: { run: false, write: true },
  "status --serve": { run: false, write: true, net: true },
  clean: { run: false, write: true },
  /** Retention notifies what it deleted (`apprise` may deliver it). */
  "clean --retention": { run: true, write: true, notify: true },
  "notify test": { run: true, write: true, notify: true },
  "notify flush": { run: true, write: true, notify: true },
  users: { run: false, write: true },
  "encode-mode": { run: false, write: true },
  record: { run: true, write: true, notify: true, chat: true },
  recover: { run: true, write: true, notify: true },
  stop: { run: true, write: true },
  poller: { run: true, write: true },
  "poller run": { run: true, write: true, net: true, notify: true },
  "encode-daemon": { run: true, write: true },
  "encode-daemon run": { run: true, write: true, notify: true },
  tscompress: { run: true, write: true },
  doctor: { run: true, write: true, net: true },
  "upload run": { run: true, write: true, notify: true },
  "upload status": { run: false, write: true },
};

/** The subcommand dispatched in this process (for {@link settleNetPermission}). */
let dispatched: string | undefined;

/** The name {@link dropPermissionsFor} was last called with. */
export function dispatchedCommand(): string | undefined {
  return dispatched;
}

/**
 * Revokes what `command` does not need; ffi is never needed, net only by `poller run`,
 * `status --serve` and (until {@link settleNetPermission}) by the commands that notify.
 */
export async function dropPermissionsFor(command: string): Promise<void> {
  dispatched = command;
  const needs = COMMAND_NEEDS[command] ?? { run: true, write: true };
  if (!needs.net && !needs.notify) await Deno.permissions.revoke({ name: "net" });
  await Deno.permissions.revoke({ name: "ffi" });
  if (!needs.run) await Deno.permissions.revoke({ name: "run" });
  if (!needs.write) await Deno.permissions.revoke({ name: "write" });
}

/**
 * Once the config is read: a command keeps network access only when it calls Twitch's API
 * (`poller run`), records with `[chat] enabled` (the chat's WebSocket), or delivers
 * notifications over HTTP itself (`apprise` does its own
 * networking as a child process). Safe to call for any command, and more than once.
 */
export async function settleNetPermission(
  command: string | undefined,
  notifiesOverHttp: boolean,
  chatEnabled = false,
): Promise<void> {
  // Not dispatched (a test calling a command in-process): leave the process as it is.
  if (command === undefined) return;
  const needs = COMMAND_NEEDS[command];
  if (needs?.net) return;
  if (needs?.notify && notifiesOverHttp) return;
  if (needs?.chat && chatEnabled) return;
  await Deno.permissions.revoke({ name: "net" });
}
