/**
 * The checks behind `twitchtool doctor`: each answers one question an operator would otherwise
 * find out at 3 a.m. when a recording did not happen. Checks never change anything (folders
 * are not created, stale files not removed) so doctor is safe to run at any time.
 */
import { dirname } from "node:path";
import type { Config } from "../config/config.ts";
import { readDaemonState } from "../state/daemon_state.ts";
import { ConfigError } from "../errors.ts";
import { verifyRuntimeDir } from "../state/runtime_dir.ts";
import { findStaleState } from "../state/stale_state.ts";
import { currentSelf, parseDownloadCmd, resolveDownloadCmd } from "../poll/download_cmd.ts";
import { readUsersFile, UsersFileError } from "../poll/users_file.ts";
import { runCommand } from "../proc/spawn.ts";
import { findExecutable } from "../proc/which.ts";
import { formatBytes, freeBytes } from "../util/disk_space.ts";

/**
 * Severity of a finding: `fail` makes doctor exit 1; a `note` is worth knowing but needs
 * nothing done (a folder created on first use), so a fresh install has no warnings.
 */
export type CheckLevel = "ok" | "note" | "warn" | "fail";

/** One line of doctor's report. */
export interface CheckResult {
  readonly level: CheckLevel;
  readonly name: string;
  readonly detail: string;
}

/** streamlink releases before this have Twitch plugins that Twitch has since broken. */
export const MIN_STREAMLINK: readonly [number, number] = [6, 0];

export { isOlder, parseVersion } from "../util/version.ts";
import { codecArgs, SUPPORTED_CODECS_SINCE } from "../proc/streamlink_args.ts";
import { streamlinkVersion } from "../proc/streamlink_version.ts";
import { isOlder, parseVersion } from "../util/version.ts";

/** Finds a tool and reads its version line. */
export async function checkTool(
  name: string,
  versionArg: string,
  minimum?: readonly number[],
): Promise<CheckResult> {
  const path = await findExecutable(name);
  if (!path) {
    return { level: "fail", name, detail: `not found on PATH: install it` };
  }
  let line: string;
  try {
    const result = await runCommand(path, [versionArg]);
    line = (result.stdout || result.stderr).split("\n")[0]?.trim() ?? "";
  } catch (error) {
    return { level: "fail", name, detail: `cannot run ${path}: ${(error as Error).message}` };
  }
  const version = parseVersion(line);
  const shown = /version\s+(\S+)/.exec(line)?.[1] ?? version?.join(".") ?? "unknown version";
  if (minimum && version && isOlder(version, minimum)) {
    return {
      level: "warn",
      name,
      detail: `${shown} (${path}) is older than ${
        minimum.join(".")
      }: Twitch changes break old plugins, upgrade it (e.g. pipx upgrade streamlink)`,
    };
  }
  return { level: "ok", name, detail: `${shown} (${path})` };
}

/**
 * A folder twitchtool writes to: exists and writable is ok; missing but creatable is a note
 * (created on first use); anything else fails.
 */
export async function checkFolder(label: string, path: string): Promise<CheckResult> {
  const name = `${label} folder`;
  let info: Deno.FileInfo | undefined;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      return { level: "fail", name, detail: `cannot read "${path}": ${(error as Error).message}` };
    }
  }
  if (!info) {
    const parent = await nearestExisting(dirname(path));
    return await isWritable(parent)
      ? { level: "note", name, detail: `"${path}" does not exist yet (created when needed)` }
      : { level: "fail", name, detail: `"${path}" does not exist and "${parent}" is not writable` };
  }
  if (!info.isDirectory) return { level: "fail", name, detail: `"${path}" is not a folder` };
  if (!(await isWritable(path))) {
    return { level: "fail", name, detail: `"${path}" is not writable` };
  }
  return { level: "ok", name, detail: `${path} (writable)` };
}

/** The runtime dir must be ours before doctor even probes it for writability. */
export async function checkRuntimeFolder(path: string): Promise<CheckResult> {
  try {
    await verifyRuntimeDir(path);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { level: "fail", name: "runtime folder", detail: error.message };
  }
  return await checkFolder("runtime", path);
}

/** Free space on the recordings filesystem against `disk_free_min`. */
export async function checkFreeSpace(config: Config): Promise<CheckResult> {
  const dir = config.paths.recordDir;
  const min = config.storage.diskFreeMinBytes;
  try {
    const free = await freeBytes(dir);
    const detail = `${formatBytes(free)} free for ${dir} (minimum ${formatBytes(min)})`;
    return free < min
      ? { level: "fail", name: "disk space", detail: `${detail}: recordings will not start` }
      : { level: "ok", name: "disk space", detail };
  } catch (error) {
    return { level: "fail", name: "disk space", detail: (error as Error).message };
  }
}

/** The users file exists and every line is a channel name. */
export async function checkUsersFile(path: string): Promise<CheckResult[]> {
  const list = await readUsersFile(path).catch((error: Error) => error);
  if (list instanceof Error) {
    return [{
      level: "fail",
      name: "users file",
      detail: list instanceof UsersFileError
        ? list.message
        : `cannot read "${path}": ${list.message}`,
    }];
  }
  if (!list) {
    return [{
      level: "warn",
      name: "users file",
      detail:
        `"${path}" does not exist: the poller watches no channels (twitchtool users add NAME)`,
    }];
  }
  const results: CheckResult[] = [{
    level: list.users.length ? "ok" : "warn",
    name: "users file",
    detail: `${path}: ${list.users.length} channel(s)`,
  }];
  for (const entry of list.invalid.slice(0, 5)) {
    results.push({
      level: "warn",
      name: "users file",
      detail: `line ${entry.line} ${JSON.stringify(entry.text)} is not a valid channel name`,
    });
  }
  if (list.invalid.length > 5) {
    results.push({
      level: "warn",
      name: "users file",
      detail: `and ${list.invalid.length - 5} more invalid line(s)`,
    });
  }
  return results;
}

/** The poller's download_cmd is acceptable and its program can be found. */
export async function checkDownloadCmd(config: Config): Promise<CheckResult> {
  const name = "download_cmd";
  try {
    const command = await resolveDownloadCmd(
      parseDownloadCmd(config.poller.downloadCmd, config.origins?.["poller.download_cmd"]),
      (program) => findExecutable(program),
      currentSelf(),
    );
    const shown = [command.program, ...command.args.filter((arg) => !arg.startsWith("--allow-"))];
    return { level: "ok", name, detail: `${shown.join(" ")} <user> --quality ...` };
  } catch (error) {
    return { level: "fail", name, detail: (error as Error).message };
  }
}

/** Leftovers of crashed processes. */
export async function checkStaleState(config: Config): Promise<CheckResult[]> {
  let stale;
  try {
    stale = await findStaleState({
      runtimeDir: config.paths.runtimeDir,
      stateDir: config.paths.stateDir,
      tempDir: config.paths.tempDir,
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return [{ level: "fail", name: "stale state", detail: error.message }];
  }
  const results: CheckResult[] = [];
  const leftovers = [
    ...stale.ownerFiles,
    ...stale.pidFiles,
    ...stale.argsFiles,
    ...stale.recoverLocks,
  ];
  if (leftovers.length) {
    results.push({
      level: "warn",
      name: "stale state",
      detail: `${leftovers.join(", ")} left by a process that died (twitchtool clean removes them)`,
    });
  }
  for (const session of stale.sessions) {
    results.push({
      level: "warn",
      name: "stale state",
      detail: `unfinished recording session ${session}: "twitchtool recover" finishes it`,
    });
  }
  if (results.length === 0) results.push({ level: "ok", name: "stale state", detail: "none" });
  return results;
}

/** Whether the poller and encoder run (informational: both are optional). */
export async function checkDaemons(config: Config): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const name of ["poller", "encoder"] as const) {
    const state = await readDaemonState(config.paths.stateDir, name);
    const detail = state.running ? `running (pid ${state.pid ?? "?"})` : "not running";
    results.push(
      state.unreadable === null
        ? { level: "ok", name, detail }
        : { level: "warn", name, detail: `${detail}; status file unreadable: ${state.unreadable}` },
    );
  }
  return results;
}

async function nearestExisting(path: string): Promise<string> {
  let current = path;
  for (;;) {
    try {
      await Deno.stat(current);
      return current;
    } catch {
      const parent = dirname(current);
      if (parent === current) return current;
      current = parent;
    }
  }
}

/** Writability by trying: mode bits say nothing about read-only mounts or ACLs. */
async function isWritable(dir: string): Promise<boolean> {
  try {
    const probe = await Deno.makeTempFile({ dir, prefix: ".twitchtool-doctor-" });
    await Deno.remove(probe);
    return true;
  } catch {
    return false;
  }
}

/** The folders doctor checks, by label. */
export function foldersOf(config: Config): [string, string][] {
  return [
    ["record", config.paths.recordDir],
    ["temp", config.paths.tempDir],
    ["queue", config.paths.queueDir],
    ["logs", config.paths.logsDir],
    ["runtime", config.paths.runtimeDir],
    ["state", config.paths.stateDir],
  ];
}

/**
 * A note when the installed streamlink predates `--twitch-supported-codecs` (8.0): Twitch then
 * offers it H.264 renditions only, and the HEVC/AV1 ones of enhanced broadcasting are out of
 * reach whatever `streamlink.supported_codecs` says.
 */
export async function checkSupportedCodecs(codecs: string): Promise<CheckResult | CheckResult[]> {
  const name = "streamlink codecs";
  const version = await streamlinkVersion();
  if (!version) return [];
  if (codecArgs(codecs, version).length > 0) {
    return { level: "ok", name, detail: `--twitch-supported-codecs ${codecs}` };
  }
  return {
    level: "note",
    name,
    detail: `streamlink ${version.join(".")} is older than ${
      SUPPORTED_CODECS_SINCE.join(".")
    }: HEVC/AV1 renditions (Twitch's enhanced broadcasting) are not reachable, H.264 only`,
  };
}
