/**
 * Workload 7, live detection: what it costs to watch 100 channels, and how soon a broadcast's
 * first bytes are on disk.
 *
 * 1. CPU per cycle, 100 channels (3 live), measured side by side in the same run: a real
 *    `poller run` with `detect = "gql"` against the local fake of Twitch's GraphQL endpoint
 *    (testing/gql_server.ts: 3 batched requests per cycle), then one with
 *    `detect = "streamlink"` (100 `streamlink --stream-url` probes per cycle) against the local
 *    HLS server. CPU from the poller's /proc stat (poller_cpu.ts); recorders are the `true`
 *    stand-in. The fake endpoint runs in this process, so its CPU is not counted: Twitch's is
 *    not ours either.
 * 2. Detection latency with a 15 s interval: a real poller (GraphQL detector) launching real
 *    recorders (`twitchtool record`, streamlink from the HLS server). One channel at a time goes
 *    live at a different phase of the poll cycle (spread evenly over the interval); latency is
 *    from `goLive` to the first byte of its part file in the temp folder (looked at every 100
 *    ms), split at the launch (the `--- <time> twitchtool poller:` line the poller writes into
 *    the recorder's log) into detection and recorder start-up. Each recording is ended once it
 *    has data.
 */
import { join } from "node:path";
import { sizeOrZero } from "../../src/state/atomic_write.ts";
import { daemonPaths } from "../../src/state/daemon_status.ts";
import { collect, defaultConfig, makeSandbox, type Sandbox, spawnCli } from "../../testing/cli.ts";
import { startGqlServer } from "../../testing/gql_server.ts";
import { startHlsServer } from "../../testing/hls_server.ts";
import { measurePollerCycles, readPollerStatus } from "./poller_cpu.ts";
import { max, median, ratio, round } from "./stats.ts";
import { stopBenchProcess } from "./stop_bench_process.ts";
import { pollUntil, sleep } from "./wait.ts";
import type { Measurement, Workload, WorkloadContext, WorkloadOutcome } from "./workload.ts";

const CHANNELS = 100;
const LIVE = 3;
const INTERVAL_SECONDS = 15;

/** The detection workload (see the file comment). */
export const detectionWorkload: Workload = {
  name: "detection",
  title: "Live detection, 100 channels",
  estimate: { full: "~12 min", quick: "~9 min" },
  run: runDetection,
};

async function runDetection(context: WorkloadContext): Promise<WorkloadOutcome> {
  const cpu = await measureCpu(context);
  const latency = await measureLatency(context, context.quick ? 3 : 10);
  return {
    measurements: [...cpu.measurements, ...latency.measurements],
    notes: [...cpu.notes, ...latency.notes],
  };
}

const channelNames = () =>
  Array.from({ length: CHANNELS }, (_, i) => `bench_ch${String(i).padStart(3, "0")}`);

/** Writes a users file and a config with `extra` appended; returns the users file. */
async function setUp(sandbox: Sandbox, urlTemplate: string, extra: string): Promise<string> {
  const usersFile = join(sandbox.home, "channels.txt");
  await Deno.writeTextFile(usersFile, channelNames().join("\n") + "\n");
  await sandbox.writeConfig(defaultConfig(
    sandbox,
    urlTemplate,
    `\n[poller]\nusers_file = "${usersFile}"\n${extra}`,
  ));
  return usersFile;
}

async function measureCpu(context: WorkloadContext): Promise<WorkloadOutcome> {
  const apiCycles = context.quick ? 3 : 10;
  // One probe cycle is 100 streamlink processes (about a minute of CPU): its count is exact.
  const probeCycles = 1;
  const hls = await startHlsServer();
  const gql = startGqlServer();
  try {
    for (const user of channelNames().slice(0, LIVE)) {
      hls.goLive(user);
      gql.goLive(user);
    }
    const run = async (detect: string, cycles: number) => {
      await using sandbox = await makeSandbox();
      await setUp(
        sandbox,
        hls.urlTemplate,
        `interval = 1\ntimeout = 60\ndownload_cmd = "true"\n` +
          `\n[limits]\nrecord_limit = 64\n\n[twitch]\ndetect = "${detect}"\ngql_url = "${gql.url}"\n`,
      );
      const poller = spawnCli(sandbox, ["poller", "run"]);
      const result = collect(poller);
      try {
        const statusPath = daemonPaths(sandbox.stateDir, "poller").status;
        return await measurePollerCycles(
          context,
          poller.pid,
          statusPath,
          cycles,
          result,
          `${detect}: `,
        );
      } finally {
        await stopBenchProcess(poller, result);
      }
    };
    const requestsBefore = gql.requests.length;
    const api = await run("gql", apiCycles);
    const requests = (gql.requests.length - requestsBefore) / (apiCycles + 1);
    const probes = await run("streamlink", probeCycles);
    const apiTotal = api.ownCpuSeconds + api.childrenCpuSeconds;
    const probeTotal = probes.ownCpuSeconds + probes.childrenCpuSeconds;
    const detectors = new Set([...api.statuses, ...probes.statuses].map((s) => s.detector));
    const liveSeen = [...api.statuses, ...probes.statuses].map((s) => s.live?.length ?? 0);
    const measurements: Measurement[] = [
      {
        metric: "CPU per cycle, Twitch API (gql)",
        value: round(apiTotal, 3),
        unit: "s",
        note: `goal <= 0.2 s; ${round(requests, 1)} requests per cycle, ${apiCycles} cycles`,
      },
      {
        metric: "CPU per cycle, streamlink probes",
        value: round(probeTotal, 2),
        unit: "s",
        note: `${round(probeTotal / CHANNELS, 3)} s per channel, ${probeCycles} cycle(s)`,
      },
      { metric: "probes / API CPU", value: round(ratio(probeTotal, apiTotal), 0), unit: "x" },
    ];
    return {
      measurements,
      notes: [
        `CPU: ${CHANNELS} channels, ${LIVE} live, cycles back to back (interval 1 s), ` +
        `detectors seen ${[...detectors].join("/")}, live per cycle ${
          [...new Set(liveSeen)].join("/")
        }. Poller own CPU per cycle: API ${round(api.ownCpuSeconds, 3)} s, probes ${
          round(probes.ownCpuSeconds, 3)
        } s (+ ${round(probes.childrenCpuSeconds, 2)} s in streamlink).`,
      ],
    };
  } finally {
    await gql.close();
    await hls.close();
  }
}

/** Bytes in `user`'s part files in the temp folder (0 before the first part has data). */
async function partBytes(tempDir: string, user: string): Promise<number> {
  let total = 0;
  try {
    for await (const entry of Deno.readDir(tempDir)) {
      if (!entry.name.startsWith(`${user}_`) || !/_part\d+\.ts$/.test(entry.name)) continue;
      total += await sizeOrZero(join(tempDir, entry.name));
    }
  } catch {
    // No temp folder yet.
  }
  return total;
}

/**
 * When the poller started the recording: the first `--- <time> <session>: streamlink` line a
 * recording hosted in the poller writes to its log, or the `--- <time> twitchtool poller:` line
 * of a launched recorder (custom download_cmd).
 */
async function launchTime(logPath: string): Promise<number> {
  const text = await Deno.readTextFile(logPath);
  const match = /^--- (\S+) (?:twitchtool poller|\S+: streamlink) /m.exec(text);
  if (!match) throw new Error(`No launch line in "${logPath}"`);
  return Date.parse(match[1]!);
}

async function measureLatency(context: WorkloadContext, goLives: number): Promise<WorkloadOutcome> {
  const hls = await startHlsServer({ endGraceMs: 1200 });
  const gql = startGqlServer();
  try {
    await using sandbox = await makeSandbox();
    await setUp(
      sandbox,
      hls.urlTemplate,
      `interval = ${INTERVAL_SECONDS}\ntimeout = 10\n` +
        `\n[limits]\nrecord_limit = 16\n\n[twitch]\ndetect = "gql"\ngql_url = "${gql.url}"\n`,
    );
    const poller = spawnCli(sandbox, ["poller", "run"]);
    const result = collect(poller);
    const statusPath = daemonPaths(sandbox.stateDir, "poller").status;
    const latencies: number[] = [];
    const detections: number[] = [];
    const startups: number[] = [];
    try {
      let lastPoll: string | null = null;
      for (let index = 0; index < goLives; index++) {
        const cycle = await pollUntil("a poll cycle", async () => {
          const status = await readPollerStatus(statusPath);
          return status?.last_poll && status.last_poll !== lastPoll ? status : undefined;
        }, { everyMs: 50, timeoutMs: 120_000, signal: context.signal });
        lastPoll = cycle.last_poll;
        // Phases spread evenly over the interval: (index + 0.5) / goLives of it after a poll.
        const phaseMs = ((index + 0.5) / goLives) * INTERVAL_SECONDS * 1000;
        const wait = Date.parse(cycle.last_poll!) + phaseMs - Date.now();
        if (wait > 0) await sleep(wait, context.signal);
        const user = channelNames()[index]!;
        const start = performance.now();
        const wallStart = Date.now();
        hls.goLive(user);
        gql.goLive(user);
        await context.during(
          `go-live ${index + 1}/${goLives} (${user})`,
          pollUntil(
            `first byte of ${user}`,
            async () => (await partBytes(sandbox.tempDir, user)) > 0,
            { everyMs: 100, timeoutMs: 120_000, signal: context.signal },
          ),
        );
        const seconds = (performance.now() - start) / 1000;
        latencies.push(seconds);
        const launched = await launchTime(join(sandbox.stateDir, "logs", `${user}.log`));
        const detect = (launched - wallStart) / 1000;
        detections.push(detect);
        startups.push(seconds - detect);
        context.say(
          `${user}: first byte ${seconds.toFixed(1)} s after going live ` +
            `(launched after ${detect.toFixed(1)} s)`,
        );
        hls.end(user);
        gql.goOffline(user);
        lastPoll = (await readPollerStatus(statusPath))?.last_poll ?? lastPoll;
      }
    } finally {
      await stopBenchProcess(poller, result);
      for (const user of channelNames().slice(0, goLives)) hls.end(user);
      // Let the recorders finish their (short) recordings before the sandbox goes away.
      await pollUntil("recorders finished", async () => {
        for (const user of channelNames().slice(0, goLives)) {
          if (await partBytes(sandbox.tempDir, user) > 0) return false;
        }
        return true;
      }, { everyMs: 500, timeoutMs: 120_000, signal: context.signal }).catch(() => {});
    }
    return {
      measurements: [
        {
          metric: "go-live to first byte: median",
          value: round(median(latencies), 1),
          unit: "s",
          note: `interval ${INTERVAL_SECONDS} s, ${goLives} go-lives`,
        },
        {
          metric: "go-live to first byte: max",
          value: round(max(latencies), 1),
          unit: "s",
          note: "goal <= 20 s",
        },
        {
          metric: "go-live to launch: median / max",
          value: round(median(detections), 1),
          unit: "s",
          note: `max ${round(max(detections), 1)} s: waiting for the next cycle`,
        },
        {
          metric: "launch to first byte: median / max",
          value: round(median(startups), 1),
          unit: "s",
          note: `max ${round(max(startups), 1)} s: recording start-up and first segment`,
        },
      ],
      notes: [
        `Latency: ${goLives} go-lives at phases spread over the ${INTERVAL_SECONDS} s interval; ` +
        `each = wait for the next cycle + recording start-up (streamlink, hosted in the poller) + first ` +
        `segment; seconds (launched after): ${
          latencies.map((l, i) => `${l.toFixed(1)} (${detections[i]!.toFixed(1)})`).join(", ")
        }.`,
      ],
    };
  } finally {
    await gql.close();
    await hls.close();
  }
}
