/**
 * A real process that holds a lock file (flock, as FileLock takes it) and ignores `ignore`, so
 * tests of stopping daemons and recorders from outside see exactly what a stubborn one does:
 * the polite signal changes nothing, SIGKILL ends it and the kernel drops its lock.
 */
import { type Child, spawnChild } from "../src/proc/spawn.ts";

/** Starts the holder and resolves once it holds `lockPath`. */
export async function holdLock(lockPath: string, ignore: "SIGINT" | "SIGTERM"): Promise<Child> {
  let ready!: () => void;
  const held = new Promise<void>((resolve) => ready = resolve);
  const child = spawnChild("python3", [
    "-c",
    [
      "import fcntl, signal, sys, time",
      `signal.signal(signal.${ignore}, signal.SIG_IGN)`,
      "lock = open(sys.argv[1], 'a')",
      "fcntl.flock(lock, fcntl.LOCK_EX)",
      "print('ready', flush=True)",
      "time.sleep(120)",
    ].join("\n"),
    lockPath,
  ], { stdout: { lines: () => ready() } });
  await held;
  return child;
}
