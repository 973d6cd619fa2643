/**
 * Argv that makes a program hold file locks for its whole life: `flock --no-fork` takes the
 * lock and then execs the program in its own place (same pid, signals reach the program
 * directly), which keeps the locked descriptor open. Several locks nest: each `flock` execs the
 * next, all in the same process, and each keeps its descriptor across the exec. The kernel
 * releases the locks only when the program and everything that inherited the descriptors have
 * exited, however they die.
 */

/** How long `flock` waits for the lock (a liveness check holds it for an instant). */
const LOCK_WAIT_SECONDS = 10;

/**
 * `flock --no-fork -w 10 <lock1> flock ... <lockN> <command> <args...>`: `command` runs holding
 * every lock in `lockPaths` (taken in that order).
 */
export function lockedCommand(
  lockPaths: readonly string[],
  command: string,
  args: readonly string[],
): { command: string; args: string[] } {
  let argv = [command, ...args];
  for (const path of [...lockPaths].reverse()) {
    argv = ["flock", "--no-fork", "--exclusive", "-w", String(LOCK_WAIT_SECONDS), path, ...argv];
  }
  const [program, ...rest] = argv;
  return { command: program!, args: rest };
}
