/**
 * Starts a recorder that must outlive the poller.
 *
 * Why this shape:
 * - Own session: `Deno.Command`'s `detached: true` (public since Deno 2.x) calls `setsid()` in
 *   the child, so a Ctrl-C to the poller's terminal, the poller's process group dying, or the
 *   poller restarting never reaches the recorder. The `setsid` program from util-linux is not
 *   needed (and would not help with the log file below).
 * - Output appended to `<logs_dir>/<user>.log`, written by the recorder itself: the file is
 *   opened with `O_APPEND` and its descriptor becomes the child's stdout and stderr.
 *   `Deno.Command` types stdio as `"piped" | "inherit" | "null"` only, but its runtime accepts
 *   a file descriptor number (the path `node:child_process` uses for `stdio: [.., fd, fd]`),
 *   hence the one cast in `spawnDetached()` (src/proc/spawn.ts). The alternatives were worse: piping output through the poller
 *   would make every recorder die of SIGPIPE (or block) when the poller stops; a shell
 *   (`sh -c '... >> log'`) is exactly what download_cmd must never go through; the
 *   `node:child_process` API needs the full environment, which the poller may not read
 *   (`--allow-env` is a list) while `Deno.Command` inherits it without reading it.
 * - The log is private (folder 0700, file 0600, an older 0644 log is tightened): it holds
 *   whatever streamlink prints, and the recorder masks secrets in what it writes, but a log
 *   level can always be raised to show more than expected.
 * - stdin is /dev/null, and the child is `unref()`ed and never awaited: the poller may exit at
 *   any moment and the recorder keeps going. Its exit is still observed while we live, so a
 *   recorder that dies at start-up frees its place at once.
 */
import { spawnDetached, startDetachedLog } from "../proc/spawn.ts";
import { redactArgs } from "../proc/streamlink_args.ts";
import { type LogRotation, rotateLogIfLarge } from "../state/log_rotation.ts";

/** A recorder started in its own session. */
export interface DetachedChild {
  readonly pid: number;
  /** Exit code once it ends (only observed while this process lives). */
  readonly exited: Promise<number>;
}

/**
 * Starts `program args` detached with stdout/stderr appended to `logPath` (rotated first when
 * large); `env` is added to the inherited environment.
 */
export async function launchDetached(
  program: string,
  args: readonly string[],
  logPath: string,
  env: Readonly<Record<string, string>> = {},
  rotation?: LogRotation,
): Promise<DetachedChild> {
  rotateLogIfLarge(logPath, rotation);
  const header = `--- ${new Date().toISOString()} twitchtool poller: ${
    [program, ...redactArgs(args)].join(" ")
  }\n`;
  await startDetachedLog(logPath, header);
  const child = spawnDetached(program, args, logPath, { env });
  return { pid: child.pid, exited: child.exited.then((exit) => exit.code) };
}
