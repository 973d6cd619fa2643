/**
 * Workload 7, footprint: memory and CPU of 6 channels recording under the poller, with an idle
 * encoder daemon beside it, in the two ways the poller can record. Hosted: the default
 * `download_cmd`, every recording inside the poller process. Launched: a custom
 * `download_cmd` (`twitchtool record --loglevel error`), one `record` Deno process per channel,
 * the way every recording ran before. Same server, same stream, same run.
 *
 * Memory is the sum of each process's peak RSS (VmHWM) over the window, so it bounds what they
 * held together; twitchtool processes (the deno ones: poller, recorders, encoder) and
 * streamlinks are summed apart. CPU is utime+stime over the window, children excluded. The
 * poller polls every 600 s here, so after its first cycle no probe streamlink runs during the
 * window and every streamlink counted is a capture.
 */
import { join } from "node:path";
import { SlotPool } from "../../src/state/slot_pool.ts";
import {
  type CliResult,
  collect,
  defaultConfig,
  makeSandbox,
  pollerSection,
  spawnCli,
} from "../../testing/cli.ts";
import { type LiveHlsServer, startHlsServer } from "../../testing/hls_server.ts";
import { ensureHdSegments } from "./hd_segments.ts";
import { descendants, killTree } from "../../testing/proc_stat.ts";
import { ProcessSampler, type SampledProcess } from "./process_sampler.ts";
import { megabytes, ratio, round } from "./stats.ts";
import { stopBenchProcess } from "./stop_bench_process.ts";
import { pollUntil, sleep } from "./wait.ts";
import type { Measurement, Workload, WorkloadContext, WorkloadOutcome } from "./workload.ts";

const CHANNELS = 6;

/** The footprint workload (see the file comment). */
export const footprintWorkload: Workload = {
  name: "footprint",
  title: `Footprint, ${CHANNELS} recordings under the poller`,
  estimate: { full: "~3 min", quick: "~2 min" },
  run: runFootprint,
};

/** What one way of recording cost over the window. */
interface Footprint {
  /** Deno processes: poller, recorders, encoder. */
  readonly toolProcesses: number;
  readonly toolRss: number;
  /** The poller alone. */
  readonly pollerRss: number;
  readonly streamlinks: number;
  readonly streamlinkRss: number;
  /** The live remuxers' ffmpegs (`[record] live_remux`, one per recording). */
  readonly remuxers: number;
  readonly remuxerRss: number;
  /** Poller, encoder, streamlinks and live remuxers, by proportional set size. */
  readonly everythingPss: number;
  /** CPU seconds of the process(es) hosting the recordings, per recording. */
  readonly hostCpuPerRecording: number;
}

async function runFootprint(context: WorkloadContext): Promise<WorkloadOutcome> {
  const windowSeconds = context.quick ? 15 : 30;
  const segments = await ensureHdSegments(context);
  const server = await startHlsServer({ endGraceMs: 1200, segments });
  try {
    context.say("hosted: the default download_cmd");
    const hosted = await measure(context, server, "fh", undefined, windowSeconds);
    context.say("launched: one twitchtool record process per channel");
    const launched = await measure(
      context,
      server,
      "fl",
      "twitchtool record --loglevel error",
      windowSeconds,
    );
    return {
      measurements: report(hosted, launched, windowSeconds),
      notes: [
        `${CHANNELS} channels on the local HLS server (1080p30 H.264 at ~6 Mbit/s each), an idle ` +
        `encode-daemon, ${windowSeconds} s window once all ${CHANNELS} capture. RSS = sum of ` +
        `each process's VmHWM; CPU = utime+stime from /proc/<pid>/stat, children excluded.`,
      ],
    };
  } finally {
    await server.close();
  }
}

async function measure(
  context: WorkloadContext,
  server: LiveHlsServer,
  prefix: string,
  downloadCmd: string | undefined,
  windowSeconds: number,
): Promise<Footprint> {
  await using sandbox = await makeSandbox();
  const users = Array.from({ length: CHANNELS }, (_, i) => `${prefix}_bench_${i + 1}`);
  const usersFile = join(sandbox.home, "channels.txt");
  await Deno.writeTextFile(usersFile, users.join("\n") + "\n");
  await sandbox.writeConfig(defaultConfig(
    sandbox,
    server.urlTemplate,
    pollerSection(usersFile, { interval: 600, timeout: 15 }) +
      (downloadCmd ? `download_cmd = "${downloadCmd}"\n` : ""),
  ));
  for (const user of users) server.goLive(user);
  const encoder = spawnCli(sandbox, ["encode-daemon", "run"]);
  const encoderResult = collect(encoder);
  const poller = spawnCli(sandbox, ["poller", "run"]);
  const pollerResult = collect(poller);
  const pollerSampler = new ProcessSampler(poller.pid, 1000);
  const encoderSampler = new ProcessSampler(encoder.pid, 1000);
  let stopped = false;
  try {
    const pool = new SlotPool(sandbox.runtimeDir, CHANNELS);
    await pollUntil(`${CHANNELS} recordings capturing`, async () => {
      const slots = await pool.list();
      return slots.filter((slot) => slot.state === "capturing").length === CHANNELS;
    }, { everyMs: 250, timeoutMs: 240_000, signal: context.signal }).catch(async (error) => {
      const slots = (await pool.list()).map((slot) => `${slot.username}:${slot.state}`);
      const logs = await Promise.all(
        users.map((user) =>
          Deno.readTextFile(join(sandbox.stateDir, "logs", `${user}.log`)).then(
            (text) => `${user}: ${text.trim().split("\n").slice(-3).join(" | ")}`,
            () => `${user}: no log`,
          )
        ),
      );
      throw new Error(`${(error as Error).message}; slots ${slots.join(", ")}; ${logs.join("; ")}`);
    });
    context.say(`all ${CHANNELS} capturing; measuring for ${windowSeconds} s`);
    for (let second = 0; second <= windowSeconds; second++) {
      await pollerSampler.sample();
      await encoderSampler.sample();
      if (second < windowSeconds) await sleep(1000, context.signal);
    }
    const tools = [
      ...pollerSampler.processes.filter((p) => p.comm === "deno"),
      ...(encoderSampler.rootProcess ? [encoderSampler.rootProcess] : []),
    ];
    const streamlinks = pollerSampler.processes.filter((p) => p.comm === "streamlink");
    // The encoder's ffmpeg descends from the encoder; the poller's are the live remuxers.
    const remuxers = pollerSampler.processes.filter((p) => p.comm === "ffmpeg");
    const recorders = pollerSampler.processes.filter((p) =>
      p.comm === "deno" && p.pid !== poller.pid
    );
    const hosts = downloadCmd
      ? recorders
      : pollerSampler.processes.filter((p) => p.pid === poller.pid);

    context.say("ending the broadcasts; recordings finalize, then the daemons stop");
    for (const user of users) server.end(user);
    await pollUntil("every recording finished", async () => {
      const busy = (await descendants(poller.pid)).filter((p) =>
        p.comm === "streamlink" || p.comm === "ffmpeg" || p.comm === "deno"
      );
      return busy.length === 0 && (await pool.list()).length === 0;
    }, { everyMs: 500, timeoutMs: 180_000, signal: context.signal });
    checkStopped(await stopBenchProcess(poller, pollerResult), "poller");
    checkStopped(await stopBenchProcess(encoder, encoderResult), "encoder");
    stopped = true;
    return {
      toolProcesses: tools.length,
      toolRss: sumPeak(tools),
      pollerRss: pollerSampler.rootProcess?.peakRss ?? NaN,
      streamlinks: streamlinks.length,
      streamlinkRss: sumPeak(streamlinks),
      remuxers: remuxers.length,
      remuxerRss: sumPeak(remuxers),
      everythingPss: [...tools, ...streamlinks, ...remuxers].reduce((sum, p) => sum + p.peakPss, 0),
      hostCpuPerRecording: hosts.reduce((sum, p) => sum + p.lastCpu - p.firstCpu, 0) / CHANNELS,
    };
  } finally {
    if (!stopped) {
      const left = [...pollerSampler.processes, ...encoderSampler.processes];
      await killTree(poller.pid);
      await killTree(encoder.pid);
      for (const process of left) {
        try {
          Deno.kill(process.pid, "SIGKILL");
        } catch {
          // Already gone.
        }
      }
      await pollerResult.catch(() => {});
      await encoderResult.catch(() => {});
    }
  }
}

function checkStopped(result: CliResult, what: string): void {
  if (result.code !== 0) {
    throw new Error(`The ${what} exited with ${result.code}: ${result.stderr}`);
  }
}

function sumPeak(processes: readonly SampledProcess[]): number {
  return processes.reduce((sum, p) => sum + p.peakRss, 0);
}

function report(hosted: Footprint, launched: Footprint, windowSeconds: number): Measurement[] {
  const share = (cpu: number) => `${round((cpu / windowSeconds) * 100, 2)}% of a core`;
  return [
    {
      metric: "hosted: twitchtool processes, RSS",
      value: round(megabytes(hosted.toolRss), 1),
      unit: "MB",
      note: `${hosted.toolProcesses} deno processes (poller + encoder)`,
    },
    {
      metric: "launched: twitchtool processes, RSS",
      value: round(megabytes(launched.toolRss), 1),
      unit: "MB",
      note: `${launched.toolProcesses} deno processes (poller + ${CHANNELS} record + encoder)`,
    },
    {
      metric: "hosted: the poller alone, RSS",
      value: round(megabytes(hosted.pollerRss), 1),
      unit: "MB",
      note: `launched: ${round(megabytes(launched.pollerRss), 1)} MB`,
    },
    {
      metric: "hosted / launched twitchtool RSS",
      value: round(ratio(hosted.toolRss, launched.toolRss), 2),
      unit: "x",
    },
    {
      metric: "hosted: everything, RSS",
      value: round(megabytes(hosted.toolRss + hosted.streamlinkRss + hosted.remuxerRss), 1),
      unit: "MB",
      note: "twitchtool processes + streamlinks + live remuxers; goal <= 515 MB (issue 25)",
    },
    {
      metric: "hosted: everything, PSS",
      value: round(megabytes(hosted.everythingPss), 1),
      unit: "MB",
      note: "the same processes, pages shared among them (libraries) counted once",
    },
    {
      metric: "hosted: live remuxers, RSS",
      value: round(megabytes(hosted.remuxerRss), 1),
      unit: "MB",
      note: `${hosted.remuxers} ffmpeg processes ([record] live_remux)`,
    },
    {
      metric: "hosted: streamlinks, RSS",
      value: round(megabytes(hosted.streamlinkRss), 1),
      unit: "MB",
      note: `${hosted.streamlinks} streamlink processes`,
    },
    {
      metric: "launched: streamlinks, RSS",
      value: round(megabytes(launched.streamlinkRss), 1),
      unit: "MB",
      note: `${launched.streamlinks} streamlink processes`,
    },
    {
      metric: `hosted: poller CPU per recording over ${windowSeconds} s`,
      value: round(hosted.hostCpuPerRecording, 3),
      unit: "s",
      note: share(hosted.hostCpuPerRecording),
    },
    {
      metric: `launched: record process CPU per recording over ${windowSeconds} s`,
      value: round(launched.hostCpuPerRecording, 3),
      unit: "s",
      note: share(launched.hostCpuPerRecording),
    },
  ];
}
