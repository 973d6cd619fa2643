/**
 * Runs the real CLI (`deno run <the binary's permission flags> src/main.ts`) in an isolated
 * HOME, the way end-to-end tests and the demo use it.
 */
import { join } from "node:path";
import { binaryFlags } from "../src/permissions.ts";
import { probeArgs } from "../src/proc/ffmpeg_args.ts";
import type { StatusSnapshot } from "../src/state/status_snapshot.ts";

/** Absolute path of `src/main.ts`. */
export const MAIN_TS = new URL("../src/main.ts", import.meta.url).pathname;

/** An isolated HOME with a config file; every default path of twitchtool lands inside it. */
export interface Sandbox {
  readonly home: string;
  readonly configPath: string;
  readonly runtimeDir: string;
  readonly recordDir: string;
  readonly tempDir: string;
  readonly queueDir: string;
  readonly jobsDir: string;
  readonly stateDir: string;
  readonly env: Record<string, string>;
  /** Replaces the config file's text. */
  writeConfig(toml: string): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** What a finished CLI run printed and returned. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Record timings a test may change from the defaults (1 s delay, 3 s window). */
export interface RetryTimings {
  readonly retryDelay?: number;
  readonly retryWindow?: number;
}

/** The default test config: quick retries, a short window, tiny disk minimum. */
export function defaultConfig(
  sandbox: { runtimeDir: string },
  urlTemplate: string,
  extra = "",
  timings: RetryTimings = {},
): string {
  return `[paths]
runtime_dir = "${sandbox.runtimeDir}"

[storage]
disk_free_min_bytes = 1048576

[record]
retry_delay = ${timings.retryDelay ?? 1}
retry_window = ${timings.retryWindow ?? 3}

[streamlink]
url_template = "${urlTemplate}"
extra_args = ["--stream-timeout", "3"]
${extra}`;
}

/**
 * The `[poller]` section of an end-to-end test's config (to follow {@link defaultConfig}):
 * the users file, a one-second cycle and a short probe timeout unless told otherwise.
 */
export function pollerSection(
  usersFile: string,
  options: { interval?: number; timeout?: number } = {},
): string {
  const { interval = 1, timeout = 10 } = options;
  return `\n[poller]\nusers_file = "${usersFile}"\ninterval = ${interval}\ntimeout = ${timeout}\n`;
}

/**
 * Writes `<home>/hosting.toml`, a config for `poller run` watching `users` on the HLS server of
 * `urlTemplate` and polling every second (`extra` appended: more sections), and the users file;
 * returns the config's path.
 */
export async function hostingConfig(
  sandbox: Sandbox,
  urlTemplate: string,
  users: readonly string[],
  extra = "",
): Promise<string> {
  const configPath = join(sandbox.home, "hosting.toml");
  const usersFile = join(sandbox.home, "channels.txt");
  await Deno.writeTextFile(
    configPath,
    defaultConfig(sandbox, urlTemplate, pollerSection(usersFile) + extra),
  );
  await Deno.writeTextFile(usersFile, users.map((user) => `${user}\n`).join(""));
  return configPath;
}

/** Creates a sandbox HOME (with `~/Videos`, so recordings go to `~/Videos/TwitchTool`). */
export async function makeSandbox(
  options: { urlTemplate?: string; extraConfig?: string } & RetryTimings = {},
): Promise<Sandbox> {
  const home = await Deno.makeTempDir({ prefix: "twitchtool-test-" });
  await Deno.mkdir(join(home, "Videos"));
  const configDir = join(home, ".config", "twitchtool");
  await Deno.mkdir(configDir, { recursive: true });
  const stateDir = join(home, ".local", "state", "twitchtool");
  const recordDir = join(home, "Videos", "TwitchTool");
  const queueDir = join(stateDir, "encode-queue");
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(Deno.env.toObject())) {
    if (!key.startsWith("XDG_") && !key.startsWith("INVOCATION_ID") && key !== "JOURNAL_STREAM") {
      env[key] = value;
    }
  }
  // Keep Deno's module cache where it is: a new HOME would otherwise re-download everything.
  env.DENO_DIR = Deno.env.get("DENO_DIR") ??
    join(Deno.env.get("HOME") ?? "/root", ".cache", "deno");
  env.DENO_NO_UPDATE_CHECK = "1";
  // What a person's shell has: colours allowed. A NO_COLOR of the test runner would hide
  // colour handling bugs (it once hid a crash of every --help).
  delete env.NO_COLOR;
  env.HOME = home;
  const sandbox: Sandbox = {
    home,
    configPath: join(configDir, "config.toml"),
    runtimeDir: join(home, "run"),
    recordDir,
    tempDir: join(recordDir, "temp"),
    queueDir,
    jobsDir: join(queueDir, "jobs"),
    stateDir,
    env,
    writeConfig: (toml) => Deno.writeTextFile(join(configDir, "config.toml"), toml),
    [Symbol.asyncDispose]: () => Deno.remove(home, { recursive: true }).catch(() => {}),
  };
  if (options.urlTemplate) {
    await sandbox.writeConfig(
      defaultConfig(sandbox, options.urlTemplate, options.extraConfig, options),
    );
  }
  return sandbox;
}

/** `deno run` argv for the CLI with the compiled binary's permission flags. */
export function cliCommandArgs(
  args: readonly string[],
  flags: readonly string[] = binaryFlags(),
): string[] {
  return ["run", "--quiet", "--no-prompt", ...flags, MAIN_TS, ...args];
}

/** Starts the CLI in the sandbox; the caller reads/awaits the process. */
export function spawnCli(
  sandbox: Sandbox,
  args: readonly string[],
  options: { flags?: readonly string[]; env?: Record<string, string> } = {},
): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: cliCommandArgs(args, options.flags),
    env: { ...sandbox.env, ...options.env },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Collects a spawned CLI's result. */
export async function collect(process: Deno.ChildProcess): Promise<CliResult> {
  const output = await process.output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** Runs the CLI to completion in the sandbox. */
export function runCli(
  sandbox: Sandbox,
  args: readonly string[],
  options: { flags?: readonly string[]; env?: Record<string, string> } = {},
): Promise<CliResult> {
  return collect(spawnCli(sandbox, args, options));
}

/** Quotes a word for `sh`. */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * Runs the CLI on a pseudo-terminal (util-linux `script`), as a person at a terminal does:
 * colour TERM, no NO_COLOR, and Deno allowed to prompt, so a missing permission shows up as
 * a prompt in the output (answered "no" by the closed input) instead of passing silently.
 * stdout and stderr arrive mixed in `stdout`, with CRLF line ends turned back into LF.
 * `columns` sets the terminal width first (`stty cols`).
 */
export async function runCliOnTerminal(
  sandbox: Sandbox,
  args: readonly string[],
  options: { env?: Record<string, string>; columns?: number } = {},
): Promise<CliResult> {
  const argv = cliCommandArgs(args).filter((arg) => arg !== "--no-prompt");
  const command = [Deno.execPath(), ...argv].map(shellQuote).join(" ");
  // A terminal of that width, as `stty cols 80` in a real one sets it.
  const line = options.columns ? `stty cols ${options.columns} rows 50; ${command}` : command;
  const output = await new Deno.Command("script", {
    args: ["-qec", line, "/dev/null"],
    env: { ...sandbox.env, TERM: "xterm-256color", ...options.env },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout).replaceAll("\r\n", "\n"),
    stderr: decoder.decode(output.stderr),
  };
}

/** `status --json` of the sandbox, parsed. */
export async function statusJson(sandbox: Sandbox): Promise<StatusSnapshot> {
  const result = await runCli(sandbox, ["status", "--json"]);
  if (result.code !== 0) throw new Error(`status failed (${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout);
}

/**
 * The one `.mp4` a test recording delivered and its entry in `history --json`; throws when the
 * record dir holds none or more than one.
 */
export async function deliveredRecording(sandbox: Sandbox) {
  const finals = (await listDir(sandbox.recordDir)).filter((name) => name.endsWith(".mp4"));
  if (finals.length !== 1) throw new Error(`expected one delivered .mp4, found: ${finals}`);
  const history = await runCli(sandbox, ["history", "--json"]);
  return {
    mp4: join(sandbox.recordDir, finals[0]!),
    entry: JSON.parse(history.stdout).recordings[0],
  };
}

/** ffprobe of a media file: duration and stream types. */
export async function ffprobe(
  path: string,
): Promise<
  {
    duration: number;
    streams: { codec_type: string; codec_name: string; width?: number; height?: number }[];
  }
> {
  const output = await new Deno.Command("ffprobe", {
    args: probeArgs(path),
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (output.code !== 0) {
    throw new Error(`ffprobe failed on ${path}: ${new TextDecoder().decode(output.stderr)}`);
  }
  const parsed = JSON.parse(new TextDecoder().decode(output.stdout));
  return { duration: Number(parsed.format.duration), streams: parsed.streams };
}

/** Lists file names in a folder (empty when missing). */
export async function listDir(path: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(path)) names.push(entry.name);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return names.sort();
}

/** The finished `.mp4` recordings of `user` in `recordDir`, as full paths. */
export async function recordingsOf(recordDir: string, user: string): Promise<string[]> {
  return (await listDir(recordDir))
    .filter((name) => name.startsWith(`${user}_`) && name.endsWith(".mp4"))
    .map((name) => join(recordDir, name));
}

/** SIGKILLs processes a test may have left behind (streamlinks, recorders); gone ones are fine. */
export function killLeftovers(pids: Iterable<number>): void {
  for (const pid of pids) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      // Already gone: the normal case.
    }
  }
}
