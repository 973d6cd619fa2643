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
 * (only the poller role adds {@link POLLER_NET_HOSTS}, see {@link roleFlags}).
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
  "127.0.0.1",
  "localhost",
] as const;

/**
 * Hosts `doctor` may reach to check that Twitch answers: the GraphQL API, the Helix API and the
 * playlist host streamlink records from (`usher.ttvnw.net`), and loopback (tests point the
 * checks there). Nothing is sent but a bare request; any HTTP answer counts as reachable.
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

/** Full `deno run` flags of a role; only the poller gets (narrow) network access. */
export function roleFlags(role: Role): string[] {
  const run = ROLE_RUN[role];
  return [
    ...COMMON_FLAGS,
    run ? `--allow-run=${run.join(",")}` : "--allow-run",
    ...(role === "poller" ? [`--allow-net=${POLLER_NET_HOSTS.join(",")}`] : []),
  ];
}

/**
 * Flags of the compiled binary: the union of the roles, so run stays unrestricted (the
 * poller's `download_cmd`) and the poller's API hosts are reachable; each subcommand then
 * revokes what it does not use.
 */
export function binaryFlags(): string[] {
  const hosts = [...new Set<string>([...POLLER_NET_HOSTS, ...DOCTOR_NET_HOSTS])];
  return roleFlags("poller").map((flag) =>
    flag.startsWith("--allow-net=") ? `--allow-net=${hosts.join(",")}` : flag
  );
}

/** What a subcommand keeps after dispatch. */
export interface CommandNeeds {
  readonly run: boolean;
  readonly write: boolean;
  /**
   * Hosts kept: `poller run` (live detection through Twitch's API) and `doctor` (does Twitch
   * answer); every other subcommand has no network.
   */
  readonly net?: readonly string[];
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
  record: { run: true, write: true },
  recover: { run: true, write: true },
  stop: { run: true, write: true },
  poller: { run: true, write: true },
  "poller run": { run: true, write: true, net: POLLER_NET_HOSTS },
  "encode-daemon": { run: true, write: true },
  tscompress: { run: true, write: true },
  doctor: { run: true, write: true, net: DOCTOR_NET_HOSTS },
};

/**
 * Revokes what `command` does not need; ffi is never needed, net only by `poller run` and
 * `doctor`, each for its own hosts.
 */
export async function dropPermissionsFor(command: string): Promise<void> {
  const needs = COMMAND_NEEDS[command] ?? { run: true, write: true };
  if (!needs.net) {
    await Deno.permissions.revoke({ name: "net" });
  } else {
    const granted = [...POLLER_NET_HOSTS, ...DOCTOR_NET_HOSTS];
    for (const host of granted.filter((host) => !needs.net!.includes(host))) {
      await Deno.permissions.revoke({ name: "net", host });
    }
  }
  await Deno.permissions.revoke({ name: "ffi" });
  if (!needs.run) await Deno.permissions.revoke({ name: "run" });
  if (!needs.write) await Deno.permissions.revoke({ name: "write" });
}
