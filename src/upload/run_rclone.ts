/**
 * The one place rclone is started. A copy runs holding the transfer lock (`flock --no-fork`,
 * src/proc/locked_command.ts): if the worker is killed with kill -9, its rclone lives on holding
 * the lock, and the next worker waits for it instead of writing the same remote file at the
 * same time. The environment is inherited, so `RCLONE_CONFIG_PASS` reaches rclone without ever
 * being on an argv.
 */
import { lockedCommand } from "../proc/locked_command.ts";
import { spawnChild } from "../proc/spawn.ts";

/** How one rclone run ended, with its output. */
export interface RcloneResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs rclone; injected so the worker's tests can script it. */
export type RunRclone = (
  args: readonly string[],
  options?: {
    /** Each stderr line as it comes (progress). */
    readonly onStderr?: (line: string) => void;
    /** Ends the run (SIGTERM) when aborted. */
    readonly signal?: AbortSignal;
    /** A lock file rclone holds while it runs. */
    readonly lock?: string;
  },
) => Promise<RcloneResult>;

/** The real rclone. */
export const runRclone: RunRclone = async (args, options = {}) => {
  const { command, args: argv } = options.lock
    ? lockedCommand([options.lock], "rclone", args)
    : { command: "rclone", args: [...args] };
  const out: string[] = [];
  const err: string[] = [];
  const child = spawnChild(command, argv, {
    stdout: { lines: (line) => out.push(line) },
    stderr: {
      lines: (line) => {
        err.push(line);
        if (err.length > 200) err.shift();
        options.onStderr?.(line);
      },
    },
  });
  const stop = () => child.signal("SIGTERM");
  options.signal?.addEventListener("abort", stop, { once: true });
  try {
    const exit = await child.exited;
    return { code: exit.code, stdout: out.join("\n"), stderr: err.join("\n") };
  } finally {
    options.signal?.removeEventListener("abort", stop);
  }
};
