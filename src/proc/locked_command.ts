/**
 * Argv that makes a program hold a file lock for its whole life: `flock --no-fork` takes the
 * lock and then execs the program in its own place (same pid, signals reach the program
 * directly), which keeps the locked descriptor open. The kernel releases the lock only when
 * the program and everything that inherited the descriptor have exited, however they die.
 */

/** How long `flock` waits for the lock (a liveness check holds it for an instant). */
const LOCK_WAIT_SECONDS = 10;

/** `flock --no-fork -w 10 <lockPath> <command> <args...>`. */
export function lockedCommand(
  lockPath: string,
  command: string,
  args: readonly string[],
): { command: string; args: string[] } {
  return {
    command: "flock",
    args: ["--no-fork", "--exclusive", "-w", String(LOCK_WAIT_SECONDS), lockPath, command, ...args],
  };
}
