/**
 * Workload 5, poll cycle cost: CPU seconds per cycle of the real `poller run` watching 20
 * channels on the local HLS server, 10 live and 10 offline, cycles back to back.
 *
 * How CPU is counted: see poller_cpu.ts (the poller's /proc stat, its own and its reaped
 * children's). Launched recorders are made harmless with `download_cmd = "true"`, which exits
 * at once (its CPU, ~1 ms, lands among the children).
 */
import { join } from "node:path";
import { daemonPaths } from "../../src/state/daemon_status.ts";
import {
  type CliResult,
  collect,
  defaultConfig,
  makeSandbox,
  spawnCli,
} from "../../testing/cli.ts";
import { startHlsServer } from "../../testing/hls_server.ts";
import { cycleWallSeconds, measurePollerCycles, type PollerStatusFile } from "./poller_cpu.ts";
import { median, ratio, round } from "./stats.ts";
import { stopBenchProcess } from "./stop_bench_process.ts";
import type { Measurement, Workload, WorkloadContext, WorkloadOutcome } from "./workload.ts";

const LIVE = 10;
const OFFLINE = 10;

/** What a measured cycle did. */
interface CycleSeen {
  readonly wallSeconds: number;
  readonly live: number;
  readonly offline: number;
  readonly launched: number;
}

/** The poll cycle workload (see the file comment). */
export const pollCycleWorkload: Workload = {
  name: "poll-cycle",
  title: "Poll cycle, 20 channels",
  estimate: { full: "~45 s", quick: "~20 s" },
  run: runPollCycle,
};

async function runPollCycle(context: WorkloadContext): Promise<WorkloadOutcome> {
  const cycles = context.quick ? 2 : 5;
  const server = await startHlsServer();
  try {
    await using sandbox = await makeSandbox();
    const usersFile = join(sandbox.home, "channels.txt");
    const live = Array.from({ length: LIVE }, (_, i) => `bench_live${i + 1}`);
    const offline = Array.from({ length: OFFLINE }, (_, i) => `bench_offline${i + 1}`);
    for (const user of live) server.goLive(user);
    await Deno.writeTextFile(usersFile, [...live, ...offline].join("\n") + "\n");
    await sandbox.writeConfig(defaultConfig(
      sandbox,
      server.urlTemplate,
      `\n[limits]\nrecord_limit = ${LIVE + OFFLINE}\n\n[poller]\nusers_file = "${usersFile}"\n` +
        `interval = 1\ntimeout = 15\ndownload_cmd = "true"\n`,
    ));
    const poller = spawnCli(sandbox, ["poller", "run"]);
    const result = collect(poller);
    try {
      const statusPath = daemonPaths(sandbox.stateDir, "poller").status;
      return await measureCycles(context, poller.pid, statusPath, cycles, result);
    } finally {
      await stopBenchProcess(poller, result);
    }
  } finally {
    await server.close();
  }
}

async function measureCycles(
  context: WorkloadContext,
  pid: number,
  statusPath: string,
  cycles: number,
  result: Promise<CliResult>,
): Promise<WorkloadOutcome> {
  const measured = await measurePollerCycles(context, pid, statusPath, cycles, result);
  const seen = measured.statuses.map(cycleSeen);
  return {
    measurements: report(measured.ownCpuSeconds, measured.childrenCpuSeconds, seen),
    notes: [describe(seen)],
  };
}

function cycleSeen(status: PollerStatusFile): CycleSeen {
  return {
    wallSeconds: cycleWallSeconds(status),
    live: status.live?.length ?? 0,
    offline: (status.offline?.length ?? 0) + (status.timed_out?.length ?? 0),
    launched: status.launched?.length ?? 0,
  };
}

function report(own: number, probes: number, seen: readonly CycleSeen[]): Measurement[] {
  const total = own + probes;
  const channels = LIVE + OFFLINE;
  return [
    { metric: "CPU per cycle, all", value: round(total, 2), unit: "s", note: "poller + probes" },
    { metric: "CPU per cycle, poller itself", value: round(own, 3), unit: "s" },
    {
      metric: "CPU per cycle, streamlink probes",
      value: round(probes, 2),
      unit: "s",
      note: `${round(probes / channels, 3)} s per channel`,
    },
    {
      metric: "poller / probes CPU",
      value: round(ratio(own, probes), 3),
      unit: "x",
    },
    {
      metric: "cycle wall time: median",
      value: round(median(seen.map((s) => s.wallSeconds)), 2),
      unit: "s",
      note: `${seen.length} cycles, probe_concurrency 10`,
    },
  ];
}

function describe(seen: readonly CycleSeen[]): string {
  const counts = seen.map((s) => `${s.live} live/${s.offline} offline/${s.launched} launched`);
  return `${LIVE} live + ${OFFLINE} offline channels, cycles back to back (interval 1 s); each ` +
    `cycle saw ${[...new Set(counts)].join("; ")}. CPU from the poller's /proc stat: ` +
    `utime+stime (itself) and cutime+cstime (probes it reaped, plus the "true" stand-in ` +
    `recorders, ~1 ms each).`;
}
