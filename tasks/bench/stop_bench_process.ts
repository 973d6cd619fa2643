/**
 * Stopping a daemon the benchmark started (encoder, poller) the way a user would, SIGTERM, so
 * it cleans up after itself; SIGKILL of it and everything under it if it does not exit in time.
 */
import { systemClock } from "../../src/util/clock.ts";
import type { CliResult } from "../../testing/cli.ts";
import { killTree } from "../../testing/proc_stat.ts";

/** SIGTERMs `process` and waits for `result` (its collected output), SIGKILLing after `graceMs`. */
export async function stopBenchProcess(
  process: Deno.ChildProcess,
  result: Promise<CliResult>,
  graceMs = 20_000,
): Promise<CliResult> {
  try {
    process.kill("SIGTERM");
  } catch {
    // Already exited.
  }
  const timer = new AbortController();
  const exited = await Promise.race([
    result.then(() => true),
    systemClock.sleep(graceMs, timer.signal).then(() => false),
  ]);
  timer.abort();
  if (!exited) await killTree(process.pid);
  return await result;
}
