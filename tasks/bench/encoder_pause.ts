/**
 * Workload 3, encoder pause latency: with the real `encode-daemon run` encoding a clip, a
 * recording enters `capturing` (this process takes a slot lock and rewrites `slotN.owner`
 * atomically, exactly as a recorder does, through `SlotPool`) and we time how long until the
 * encoder's ffmpeg shows state `T` (stopped) in `/proc/<pid>/stat`; then the slot is released
 * and we time how long until ffmpeg runs again.
 */
import { join } from "node:path";
import { roleFlags } from "../../src/permissions.ts";
import { type SlotHandle, SlotPool } from "../../src/state/slot_pool.ts";
import {
  encoderStatus,
  makeClip,
  writeEncoderConfig,
  writeJob,
} from "../../testing/encode_clips.ts";
import { procState } from "../../testing/processes.ts";
import { readProcStat } from "../../testing/proc_stat.ts";
import { type CliResult, collect, makeSandbox, type Sandbox, spawnCli } from "../../testing/cli.ts";
import { max, median, round } from "./stats.ts";
import { stopBenchProcess } from "./stop_bench_process.ts";
import { pollUntil, sleep } from "./wait.ts";
import type { Measurement, Workload, WorkloadContext, WorkloadOutcome } from "./workload.ts";

/** /proc is read this often while waiting for the state change. */
const POLL_MS = 5;
/** Long enough that a slow preset is still encoding after every repetition. */
const CLIP_SECONDS = 30;

/** The encoder pause workload (see the file comment). */
export const encoderPauseWorkload: Workload = {
  name: "encoder-pause",
  title: "Encoder pause latency",
  estimate: { full: "~20 s", quick: "~10 s" },
  run: runEncoderPause,
};

/** The encoder process, its collected output, and the ffmpeg it runs. */
interface Encoding {
  readonly daemon: Deno.ChildProcess;
  readonly result: Promise<CliResult>;
  readonly ffmpeg: number;
}

/** The latencies of one stop-and-continue round, milliseconds. */
interface Round {
  readonly pauseMs: number;
  readonly resumeMs: number;
}

async function runEncoderPause(context: WorkloadContext): Promise<WorkloadOutcome> {
  const repeats = context.quick ? 5 : 10;
  await using sandbox = await makeSandbox();
  await writeEncoderConfig(sandbox, "medium");
  const encoding = await startEncoding(context, sandbox);
  const rounds: Round[] = [];
  let ownCpu: number;
  try {
    const pool = new SlotPool(sandbox.runtimeDir, 6);
    for (let index = 1; index <= repeats; index++) {
      rounds.push(await measureRound(context, pool, encoding.ffmpeg));
      context.say(
        `round ${index}/${repeats}: stopped after ${rounds.at(-1)!.pauseMs.toFixed(1)} ms, ` +
          `running again after ${rounds.at(-1)!.resumeMs.toFixed(1)} ms`,
      );
    }
    ownCpu = await daemonCpuShare(context, encoding.daemon.pid);
  } finally {
    await stopBenchProcess(encoding.daemon, encoding.result);
  }
  return { measurements: [...report(rounds), ownCpuRow(ownCpu)], notes: [notes(repeats)] };
}

/** Seconds the daemon's own CPU is sampled over while its ffmpeg encodes. */
const OWN_CPU_SECONDS = 10;

/**
 * The share of a core the daemon itself (its ffmpeg not counted) takes while it encodes after the
 * rounds, the slot files a finished recording leaves in the runtime dir: what it takes from the
 * encode on a one-core machine.
 */
async function daemonCpuShare(context: WorkloadContext, pid: number): Promise<number> {
  const before = await readProcStat(pid);
  const start = performance.now();
  await sleep(OWN_CPU_SECONDS * 1000, context.signal);
  const after = await readProcStat(pid);
  if (!before || !after) throw new Error(`encode-daemon ${pid} ended while it was measured`);
  return (after.cpuSeconds - before.cpuSeconds) / ((performance.now() - start) / 1000);
}

function ownCpuRow(share: number): Measurement {
  return {
    metric: "the daemon's own CPU while encoding",
    value: round(share * 100, 2),
    unit: "%",
    note: `% of a core over ${OWN_CPU_SECONDS} s after the rounds (its ffmpeg not counted)`,
  };
}

/** Queues a clip and starts the daemon; returns once its ffmpeg is encoding. */
async function startEncoding(
  context: WorkloadContext,
  sandbox: Sandbox,
): Promise<Encoding> {
  await Deno.mkdir(sandbox.recordDir, { recursive: true });
  const input = await context.during(
    `making a ${CLIP_SECONDS} s 720p clip`,
    makeClip(join(sandbox.recordDir, "pause.mp4"), { seconds: CLIP_SECONDS }),
  );
  await writeJob(sandbox, "pause.json", {
    input,
    output: join(sandbox.recordDir, "pause_compressed.mp4"),
    created_at: new Date().toISOString(),
    delete_input_on_success: false,
  });
  const daemon = spawnCli(sandbox, ["encode-daemon", "run"], { flags: roleFlags("encoder") });
  const result = collect(daemon);
  try {
    const ffmpeg = await pollUntil("the encoder's ffmpeg", async () => {
      const pid = (await encoderStatus(sandbox))?.current_job?.ffmpeg_pid;
      return pid && await isRunning(pid) ? pid : undefined;
    }, { everyMs: 100, timeoutMs: 60_000, signal: context.signal });
    context.say(`encode-daemon ${daemon.pid} runs ffmpeg ${ffmpeg} (x265 medium)`);
    return { daemon, result, ffmpeg };
  } catch (error) {
    await stopBenchProcess(daemon, result);
    throw error;
  }
}

/** One round: enter `capturing`, time the stop; release the slot, time the continue. */
async function measureRound(
  context: WorkloadContext,
  pool: SlotPool,
  ffmpeg: number,
): Promise<Round> {
  let slot: SlotHandle | undefined;
  try {
    slot = await pool.tryAcquire({
      pid: Deno.pid,
      username: "bench_pause",
      started_at: new Date().toISOString(),
    });
    if (!slot) throw new Error("No free recording slot for the fake recorder");
    // A recorder waits (state `waiting`) before data flows; the encoder keeps running then.
    await sleep(300, context.signal);
    let start = performance.now();
    await slot.setState("capturing");
    await waitForState(context, ffmpeg, "stopped", (state) => state === "T");
    const pauseMs = performance.now() - start;
    await sleep(300, context.signal);
    start = performance.now();
    const held = slot;
    slot = undefined;
    await held.release();
    await waitForState(context, ffmpeg, "running", (state) => state !== "T");
    const resumeMs = performance.now() - start;
    await sleep(700, context.signal);
    return { pauseMs, resumeMs };
  } finally {
    await slot?.release();
  }
}

async function waitForState(
  context: WorkloadContext,
  pid: number,
  what: string,
  wanted: (state: string) => boolean,
): Promise<void> {
  await pollUntil(`ffmpeg ${pid} ${what}`, async () => {
    const state = await procState(pid);
    if (state === undefined || state === "Z") throw new Error(`ffmpeg ${pid} ended early`);
    return wanted(state);
  }, { everyMs: POLL_MS, timeoutMs: 10_000, signal: context.signal });
}

async function isRunning(pid: number): Promise<boolean> {
  const state = await procState(pid);
  return state !== undefined && state !== "Z" && state !== "T";
}

function report(rounds: readonly Round[]): Measurement[] {
  const pause = rounds.map((r) => r.pauseMs);
  const resume = rounds.map((r) => r.resumeMs);
  return [
    { metric: "capturing -> ffmpeg stopped: median", value: round(median(pause), 1), unit: "ms" },
    { metric: "capturing -> ffmpeg stopped: max", value: round(max(pause), 1), unit: "ms" },
    { metric: "slot released -> ffmpeg runs: median", value: round(median(resume), 1), unit: "ms" },
    { metric: "slot released -> ffmpeg runs: max", value: round(max(resume), 1), unit: "ms" },
    { metric: "rounds", value: rounds.length, unit: "count" },
  ];
}

function notes(repeats: number): string {
  return `${repeats} rounds. Timed from the start of the owner-file write (temp file, fsync, ` +
    `rename, fsync of the folder, as a recorder does) until /proc/<pid>/stat shows the state, ` +
    `polled every ${POLL_MS} ms (so add up to ~${POLL_MS} ms of resolution). The encoder learns of ` +
    `the change from a watch on the runtime dir, with a 750 ms re-check as backstop.`;
}
