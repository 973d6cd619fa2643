import { closeSync, openSync } from "node:fs";
import { dirname } from "node:path";
import { type Clock, systemClock } from "../util/clock.ts";
import { stopProcess } from "./stop_process.ts";

/** How a child ended: exit code, or the signal that killed it. */
export interface ChildExit {
  readonly code: number;
  readonly signal: Deno.Signal | null;
}

/** A running child process. */
export interface Child {
  readonly pid: number;
  readonly exited: Promise<ChildExit>;
  signal(signal: Deno.Signal): void;
}

/** Where a child's output goes. `lines` forwards each line to the callback. */
export type OutputMode = "inherit" | "null" | { readonly lines: (line: string) => void };

/** Options shared by {@link spawnChild} and {@link runCommand}. */
export interface SpawnOptions {
  readonly stdout?: OutputMode;
  readonly stderr?: OutputMode;
  readonly cwd?: string;
  readonly env?: Record<string, string>;
}

/** Starts `command` (never through a shell) and streams its output as asked. */
export function spawnChild(
  command: string,
  args: readonly string[],
  options: SpawnOptions = {},
): Child {
  const stdout = options.stdout ?? "null";
  const stderr = options.stderr ?? "null";
  const process = new Deno.Command(command, {
    args: [...args],
    stdin: "null",
    stdout: typeof stdout === "string" ? stdout : "piped",
    stderr: typeof stderr === "string" ? stderr : "piped",
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.env ? { env: options.env } : {}),
  }).spawn();
  const pumps: Promise<void>[] = [];
  if (typeof stdout !== "string") pumps.push(pumpLines(process.stdout, stdout.lines));
  if (typeof stderr !== "string") pumps.push(pumpLines(process.stderr, stderr.lines));
  const exited = process.status.then(async (status) => {
    await Promise.allSettled(pumps);
    return { code: status.code, signal: status.signal };
  });
  return {
    pid: process.pid,
    exited,
    signal: signalQuietly(process),
  };
}

/** `Child.signal` for a process: a child that has already exited has nothing to signal. */
function signalQuietly(process: Deno.ChildProcess): (signal: Deno.Signal) => void {
  return (signal) => {
    try {
      process.kill(signal);
    } catch {
      // Already exited.
    }
  };
}

/**
 * Starts the private log a detached child appends to (see {@link spawnDetached}): folder 0700,
 * file 0600 (an older, wider log is tightened: streamlink may print more than expected), with
 * `header` appended to say which run the following lines are from.
 */
export async function startDetachedLog(logPath: string, header: string): Promise<void> {
  await Deno.mkdir(dirname(logPath), { recursive: true, mode: 0o700 });
  await Deno.writeTextFile(logPath, header, { append: true, mode: 0o600 });
  await Deno.chmod(logPath, 0o600);
}

/**
 * Starts `command` so that it outlives this process: in its own session (`setsid`, through
 * `Deno.Command`'s `detached`), stdin from /dev/null, stdout and stderr appended to `logPath`
 * through a file descriptor the child owns. A pipe would make it die of SIGPIPE (or block)
 * once we are gone. `Deno.Command` types stdio as `"piped" | "inherit" | "null"`, but its
 * runtime accepts a descriptor number, hence the one cast. The child is `unref()`ed: this
 * process may exit at any moment; its exit is still observed while we live.
 */
export function spawnDetached(
  command: string,
  args: readonly string[],
  logPath: string,
  options: { readonly env?: Readonly<Record<string, string>> } = {},
): Child {
  const fd = openSync(logPath, "a", 0o600);
  let process: Deno.ChildProcess;
  try {
    const logFd = fd as unknown as "inherit";
    process = new Deno.Command(command, {
      args: [...args],
      detached: true,
      ...(options.env ? { env: { ...options.env } } : {}),
      stdin: "null",
      stdout: logFd,
      stderr: logFd,
    }).spawn();
  } finally {
    closeSync(fd);
  }
  process.unref();
  return {
    pid: process.pid,
    exited: process.status.then(
      (status) => ({ code: status.code, signal: status.signal }),
      () => ({ code: -1, signal: null }),
    ),
    signal: signalQuietly(process),
  };
}

/**
 * A process this one did not start (a capture left by a previous poller) as a {@link Child}:
 * it cannot be waited for, so `exited` resolves once `alive()` says it is gone (checked every
 * `pollMs`; the exit code is unknown and reported as -1). Signals go through {@link signalPid}.
 */
export function attachedProcess(
  pid: number,
  alive: () => Promise<boolean>,
  options: { pollMs?: number; clock?: Clock } = {},
): Child {
  const clock = options.clock ?? systemClock;
  const exited = (async (): Promise<ChildExit> => {
    while (await alive().catch(() => false)) await clock.sleep(options.pollMs ?? 500);
    return { code: -1, signal: null };
  })();
  return { pid, exited, signal: (signal) => void signalPid(pid, signal) };
}

/** Output of a finished command. */
export interface CommandResult extends ChildExit {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to completion and collects its output (for short tools like ffprobe). */
export async function runCommand(
  command: string,
  args: readonly string[],
  options: { signal?: AbortSignal } = {},
): Promise<CommandResult> {
  const output = await new Deno.Command(command, {
    args: [...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    ...(options.signal ? { signal: options.signal } : {}),
  }).output();
  return commandResult(output);
}

/**
 * Runs a command whose stdin is fed by `feed` (e.g. media streamed from several files, so no
 * path ever appears in its argv) and collects its output. When `feed` fails the command's stdin
 * is aborted and the error is rethrown once the command ended.
 */
export async function runWithInput(
  command: string,
  args: readonly string[],
  feed: (stdin: WritableStreamDefaultWriter<Uint8Array>) => Promise<void>,
): Promise<CommandResult> {
  const { process, feedError } = spawnFed(command, args, feed);
  const [output, failed] = await Promise.all([process.output(), feedError]);
  if (failed && !isBrokenPipe(failed)) throw failed;
  return commandResult(output);
}

/** A finished command's exit and its output as text. */
function commandResult(output: Deno.CommandOutput): CommandResult {
  const decoder = new TextDecoder();
  return {
    code: output.code,
    signal: output.signal,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/**
 * Runs a filter process in a pipeline: `feed` writes its stdin and its stdout is copied into
 * `sink` as it comes (the sink stays open for what follows). Resolves once it exited; its stdout
 * is not collected.
 */
export async function runFilter(
  command: string,
  args: readonly string[],
  feed: (stdin: WritableStreamDefaultWriter<Uint8Array>) => Promise<void>,
  sink: WritableStreamDefaultWriter<Uint8Array>,
): Promise<CommandResult> {
  const { process, feedError } = spawnFed(command, args, feed);
  const copied = (async () => {
    for await (const chunk of process.stdout) await sink.write(chunk);
  })();
  const stderr = new Response(process.stderr).text();
  const [status, failed] = await Promise.all([process.status, feedError, copied]);
  if (failed && !isBrokenPipe(failed)) throw failed;
  return { code: status.code, signal: status.signal, stdout: "", stderr: await stderr };
}

/**
 * Starts `command` with piped stdio and `feed` writing its stdin: stdin is closed when `feed`
 * is done and aborted when it fails. `feedError` resolves with that failure, or null.
 */
function spawnFed(
  command: string,
  args: readonly string[],
  feed: (stdin: WritableStreamDefaultWriter<Uint8Array>) => Promise<void>,
): { process: Deno.ChildProcess; feedError: Promise<unknown> } {
  const process = new Deno.Command(command, {
    args: [...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = process.stdin.getWriter();
  const feedError = feed(writer).then(
    () => writer.close().then(() => null, () => null),
    async (error) => {
      await writer.abort(error).catch(() => {});
      return error;
    },
  );
  return { process, feedError };
}

/** ffmpeg that stops reading early (it failed) breaks the pipe: its exit code tells why. */
function isBrokenPipe(error: unknown): boolean {
  return error instanceof Deno.errors.BrokenPipe || /broken pipe/i.test(String(error));
}

/**
 * Stops a child gracefully: `first` (SIGINT lets streamlink/ffmpeg flush), then SIGTERM, then
 * SIGKILL, waiting `graceMs` between steps. Resolves with how it ended.
 */
export async function stopChild(
  child: Child,
  options: { first?: Deno.Signal; graceMs?: number; clock?: Clock } = {},
): Promise<ChildExit> {
  const graceMs = options.graceMs ?? 5000;
  await stopProcess(
    { send: (signal) => child.signal(signal), exited: child.exited },
    [
      { signal: options.first ?? "SIGINT", waitMs: graceMs },
      { signal: "SIGTERM", waitMs: graceMs },
      { signal: "SIGKILL", waitMs: graceMs },
    ],
    { clock: options.clock ?? systemClock, label: `Process ${child.pid}` },
  );
  return await child.exited;
}

/**
 * Sends a signal to a process this one did not spawn (a recorder, a daemon). Goes through the
 * `kill` program because `Deno.kill` needs unrestricted `--allow-run`, while `kill` can be
 * allowed by name. Returns false when the process does not exist. A pid that is not positive
 * (0: not known yet, read from a file) is never signalled: kill(1) would take 0 and -1 as our
 * own process group and every process we may signal.
 */
export async function signalPid(pid: number, signal: Deno.Signal | 0): Promise<boolean> {
  if (!(pid > 0)) return false;
  const name = signal === 0 ? "0" : signal.replace(/^SIG/, "");
  const result = await runCommand("kill", [`-${name}`, String(pid)]);
  return result.code === 0;
}

async function pumpLines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void) {
  let pending = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    pending += chunk;
    let newline: number;
    while ((newline = pending.search(/[\r\n]/)) >= 0) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line) onLine(line);
    }
  }
  if (pending.trim()) onLine(pending.trim());
}
