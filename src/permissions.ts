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
  "TWITCHTOOL_STREAM_ID",
  "TWITCHTOOL_LIVE_SINCE",
  "TWITCH_DETECT",
  "TWITCH_GQL_URL",
  "TWITCH_GQL_BATCH",
  "TWITCH_CLIENT_ID",
  "TWITCH_CLIENT_SECRET",
  "TWITCH_HELIX_URL",
  "TWITCH_OAUTH_URL",
] as const;

/**
 * Flags every role shares. Read/write cannot be narrower: the folders come from the config
 * file at run time and Deno fixes path lists at start-up. `sys` is limited to the uid (runtime
 * dir ownership check) and statfs (free-space checks). No `--allow-net`: streamlink does the networking
 * (only the roles that record add hosts: {@link POLLER_NET_HOSTS}, {@link RECORD_NET_HOSTS},
 * see {@link roleFlags}).
 */
export const COMMON_FLAGS = [
  "--allow-read",
  "--allow-write",
  `--allow-env=${ENV_VARS.join(",")}`,
  "--allow-sys=uid,statfs",
] as const;

/**
 * Hosts the poller may reach: Twitch's GraphQL, Helix and OAuth endpoints (live detection)
 * and loopback (tests, or a local proxy). Everything else, and every other subcommand, has no
 * network at all; an `api`/`gql_url` elsewhere fails like an API outage (streamlink fallback).
 */
export const POLLER_NET_HOSTS = [
  "gql.twitch.tv",
  "api.twitch.tv",
  "id.twitch.tv",
  "irc-ws.chat.twitch.tv",
  "127.0.0.1",
  "localhost",
] as const;

/**
 * Hosts a recording may reach: Twitch's chat (`[chat] enabled`, src/chat/) and loopback (tests,
 * or a local proxy). The `record` role gets only these; the poller, which hosts recordings,
 * has them among its own.
 */
export const RECORD_NET_HOSTS = ["irc-ws.chat.twitch.tv", "127.0.0.1", "localhost"] as const;

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

/** Full `deno run` flags of a role; only the recording roles get (narrow) network access. */
export function roleFlags(role: Role): string[] {
  const run = ROLE_RUN[role];
  const net = role === "poller" ? POLLER_NET_HOSTS : role === "record" ? RECORD_NET_HOSTS : [];
  return [
    ...COMMON_FLAGS,
    run ? `--allow-run=${run.join(",")}` : "--allow-run",
    ...(net.length > 0 ? [`--allow-net=${net.join(",")}`] : []),
  ];
}

/**
 * Flags of the compiled binary: the union of the roles, so run stays unrestricted (the
 * poller's `download_cmd`) and the poller's API hosts are reachable; each subcommand then
 * revokes what it does not use.
 */
export function binaryFlags(): string[] {
  return roleFlags("poller");
}

/** What a subcommand keeps after dispatch. */
export interface CommandNeeds {
  readonly run: boolean;
  readonly write: boolean;
  /**
   * `true` for `poller run` (live detection through Twitch's API, chat of hosted recordings);
   * a host list keeps only those (`record`: chat and loopback).
   */
  readonly net?: boolean | readonly string[];
}

/** Per-subcommand needs; anything not listed keeps run and write. */
export const COMMAND_NEEDS: Readonly<Record<string, CommandNeeds>> = {
  help: { run: false, write: false },
  completions: { run: false, write: false },
  history: { run: false, write: false },
  status: { run: false, write: true },
  clean: { run: false, write: true },
  users: { run: false, write: true },
  "encode-mode": { run: false, write: true },
  record: { run: true, write: true, net: RECORD_NET_HOSTS },
  recover: { run: true, write: true },
  stop: { run: true, write: true },
  poller: { run: true, write: true },
  "poller run": { run: true, write: true, net: true },
  "encode-daemon": { run: true, write: true },
  tscompress: { run: true, write: true },
  doctor: { run: true, write: true },
};

/** Revokes what `command` does not need; ffi is never needed, net only by the recording ones. */
export async function dropPermissionsFor(command: string): Promise<void> {
  const needs = COMMAND_NEEDS[command] ?? { run: true, write: true };
  if (!needs.net) await Deno.permissions.revoke({ name: "net" });
  if (Array.isArray(needs.net)) {
    for (const host of POLLER_NET_HOSTS) {
      if (!needs.net.includes(host)) await Deno.permissions.revoke({ name: "net", host });
    }
  }
  await Deno.permissions.revoke({ name: "ffi" });
  if (!needs.run) await Deno.permissions.revoke({ name: "run" });
  if (!needs.write) await Deno.permissions.revoke({ name: "write" });
}
