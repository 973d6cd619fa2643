/**
 * CPU of a running poller per cycle, exactly: the poller is the parent of its streamlink
 * probes and waits for each one, and the kernel then adds the probe's CPU to the poller's
 * cutime/cstime (`/proc/<pid>/stat`, what getrusage(RUSAGE_CHILDREN) would report). Reading
 * utime+stime and cutime+cstime right after a cycle's status file appears (before the next
 * cycle's first probe can finish) and again N cycles later gives the poller's own CPU and its
 * children's CPU per cycle, with no sampling of short-lived processes.
 */
import type { CliResult } from "../../testing/cli.ts";
import { readProcStat } from "../../testing/proc_stat.ts";
import { pollUntil } from "./wait.ts";
import type { WorkloadContext } from "./workload.ts";

/** The parts of `poller.status.json` the benchmarks read. */
export interface PollerStatusFile {
  readonly last_poll: string | null;
  readonly updated_at: string;
  readonly detector?: string;
  readonly live?: string[];
  readonly offline?: string[];
  readonly timed_out?: string[];
  readonly launched?: unknown[];
}

/** Per-cycle CPU of the poller and its reaped children, and the status after each cycle. */
export interface PollerCycles {
  readonly ownCpuSeconds: number;
  readonly childrenCpuSeconds: number;
  readonly statuses: PollerStatusFile[];
}

/** Wall time of the cycle a status file describes. */
export function cycleWallSeconds(status: PollerStatusFile): number {
  return (Date.parse(status.updated_at) - Date.parse(status.last_poll ?? "")) / 1000;
}

/** Reads the poller's status file; `undefined` while it is missing or being replaced. */
export async function readPollerStatus(path: string): Promise<PollerStatusFile | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(path)) as PollerStatusFile;
  } catch {
    return undefined;
  }
}

/** Skips the first cycle (start-up), then measures `cycles` cycles of the poller `pid`. */
export async function measurePollerCycles(
  context: WorkloadContext,
  pid: number,
  statusPath: string,
  cycles: number,
  result: Promise<CliResult>,
  label = "",
): Promise<PollerCycles> {
  let exited = false;
  result.then(() => exited = true, () => exited = true);
  const nextCycle = async (after: string | null, what: string) =>
    await pollUntil(what, async () => {
      if (exited) throw new Error(`The poller exited: ${(await result).stderr}`);
      const status = await readPollerStatus(statusPath);
      return status?.last_poll && status.last_poll !== after ? status : undefined;
    }, { everyMs: 20, timeoutMs: 300_000, signal: context.signal });

  let last = await context.during(
    `${label}the first cycle (start-up, not measured)`,
    nextCycle(null, "the first cycle"),
  );
  const before = await readProcStat(pid);
  const statuses: PollerStatusFile[] = [];
  for (let index = 1; index <= cycles; index++) {
    last = await context.during(
      `${label}cycle ${index}/${cycles}`,
      nextCycle(last.last_poll, `cycle ${index}`),
    );
    statuses.push(last);
    context.say(`${label}cycle ${index}/${cycles}: ${cycleWallSeconds(last).toFixed(1)} s`);
  }
  const after = await readProcStat(pid);
  if (!before || !after) throw new Error("The poller disappeared while measured");
  return {
    ownCpuSeconds: (after.cpuSeconds - before.cpuSeconds) / cycles,
    childrenCpuSeconds: (after.reapedChildrenCpuSeconds - before.reapedChildrenCpuSeconds) /
      cycles,
    statuses,
  };
}
