/**
 * Workload 2, recorder overhead: what the `twitchtool record` process itself (the deno
 * process, its children excluded) costs in CPU and memory over a steady capture, next to the
 * streamlink it runs. Both are read from `/proc` every second while they live: utime+stime
 * (children are not in them) and VmHWM. The whole run (start-up, capture, finalize: what a
 * person running `record` by hand sees, issue 25) is read every 100 ms until it exits.
 */
import { ensureHdSegments } from "./hd_segments.ts";
import { ProcessSampler, type SampledProcess } from "./process_sampler.ts";
import { LiveRecording } from "./live_recording.ts";
import { megabytes, ratio, round } from "./stats.ts";
import { sleep } from "./wait.ts";
import type { Measurement, Workload, WorkloadContext, WorkloadOutcome } from "./workload.ts";

const USER = "bench_overhead";

/** The recorder overhead workload (see the file comment). */
export const recorderWorkload: Workload = {
  name: "recorder",
  title: "Recorder overhead",
  estimate: { full: "~80 s, +20 s on the first run", quick: "~45 s" },
  run: runRecorderOverhead,
};

/** CPU and peak RSS of one process over the capture window. */
interface ProcessCost {
  readonly cpuSeconds: number;
  readonly peakRss: number;
}

async function runRecorderOverhead(context: WorkloadContext): Promise<WorkloadOutcome> {
  const windowSeconds = context.quick ? 30 : 60;
  const segments = await ensureHdSegments(context);
  await using recording = await LiveRecording.start(USER, { segments });
  const whole = new ProcessSampler(recording.pid, 100);
  whole.start(context.signal);
  await recording.waitCapturing(context.signal);
  const sampler = new ProcessSampler(recording.pid, 1000);
  await sampler.sample();
  const startupCpu = sampler.rootProcess?.firstCpu ?? NaN;
  const servedBefore = recording.server.stats(USER).bytes;
  context.say(`capturing; measuring for ${windowSeconds} s`);
  for (let second = 1; second <= windowSeconds; second++) {
    await sleep(1000, context.signal);
    await sampler.sample();
    if (second % 15 === 0) context.say(`${second} s of ${windowSeconds} s`);
  }
  const servedBytes = recording.server.stats(USER).bytes - servedBefore;
  const recorder = costOf(sampler.rootProcess ? [sampler.rootProcess] : []);
  const streamlinks = sampler.named("streamlink");
  const streamlink = costOf(streamlinks);
  context.say("ending the broadcast; the recorder finalizes");
  await recording.endAndStop(context.signal);
  await whole.stop();
  // A capture that produced no recording would make these numbers meaningless.
  await recording.finalFile();
  const run = whole.rootProcess;

  const bitrate = (servedBytes * 8) / windowSeconds / 1000;
  return {
    measurements: [
      ...report(recorder, streamlink, startupCpu, windowSeconds),
      ...wholeRun(run, windowSeconds),
    ],
    notes: [
      `Stream: the local HLS server serving 1080p30 H.264 at ${
        (bitrate / 1000).toFixed(1)
      } Mbit/s, like Twitch's source quality (streamlink's cost grows with the bitrate, ` +
      `twitchtool's does not: it polls the part's size every 500 ms). ` +
      `${streamlinks.length} streamlink process(es) during the window. ` +
      `CPU = utime+stime from /proc/<pid>/stat, children excluded; RSS = VmHWM. The whole ` +
      `run is sampled every 100 ms, so its last tenth of a second is not in it.`,
    ],
  };
}

/** CPU used between each process's first and last sample, and the largest peak RSS. */
function costOf(processes: readonly SampledProcess[]): ProcessCost {
  return {
    cpuSeconds: processes.reduce((sum, p) => sum + (p.lastCpu - p.firstCpu), 0),
    peakRss: Math.max(0, ...processes.map((p) => p.peakRss)),
  };
}

function report(
  recorder: ProcessCost,
  streamlink: ProcessCost,
  startupCpu: number,
  windowSeconds: number,
): Measurement[] {
  const share = (cost: ProcessCost) =>
    `${round((cost.cpuSeconds / windowSeconds) * 100, 2)}% of a core`;
  return [
    {
      metric: `twitchtool record: CPU over ${windowSeconds} s`,
      value: round(recorder.cpuSeconds, 2),
      unit: "s",
      note: share(recorder),
    },
    {
      metric: `streamlink: CPU over ${windowSeconds} s`,
      value: round(streamlink.cpuSeconds, 2),
      unit: "s",
      note: share(streamlink),
    },
    {
      metric: "record / streamlink CPU",
      value: round(ratio(recorder.cpuSeconds, streamlink.cpuSeconds), 2),
      unit: "x",
    },
    {
      metric: "twitchtool record: peak RSS",
      value: round(megabytes(recorder.peakRss), 1),
      unit: "MB",
    },
    { metric: "streamlink: peak RSS", value: round(megabytes(streamlink.peakRss), 1), unit: "MB" },
    {
      metric: "record / streamlink peak RSS",
      value: round(ratio(recorder.peakRss, streamlink.peakRss), 2),
      unit: "x",
    },
    {
      metric: "twitchtool record: CPU until capturing",
      value: round(startupCpu, 2),
      unit: "s",
      note: "start-up, config, locks, recovery scan",
    },
  ];
}

/**
 * The whole run of `record` as a person sees it: start-up, the capture and finalize, to exit.
 * The original Python tool took 25 MB and 0.30 s of CPU for such a run (issue 25).
 */
function wholeRun(run: SampledProcess | undefined, windowSeconds: number): Measurement[] {
  if (!run) return [];
  return [
    {
      metric: "twitchtool record: peak RSS, whole run",
      value: round(megabytes(run.peakRss), 1),
      unit: "MB",
      note: `start-up, ${windowSeconds} s+ of capture, finalize; goal <= 50 MB`,
    },
    {
      metric: "twitchtool record: CPU, whole run",
      value: round(run.lastCpu, 2),
      unit: "s",
      note: "original tool: 0.30 s by hand (issue 25); goal <= 1.5x",
    },
  ];
}
