/**
 * Workload 6, CLI latency: wall time of `twitchtool status` and `status --json` with 6 active
 * recordings and 50 queued jobs, run as the binary runs (`deno run` with `binaryFlags()`, as
 * testing/cli.ts does), next to the floor: `deno run` of an empty script with the same
 * flags, and `--version` (start-up plus loading the command tree). The difference is what
 * twitchtool's own code costs. Output goes to a pipe, as in scripts; `status` and the empty
 * script are also run on a pseudo-terminal (util-linux `script`), as a person runs them, since
 * the table is drawn differently there (colours).
 *
 * The recordings are real as far as `status` can tell: this process holds the 6 slot locks
 * and writes their owner files through `SlotPool` (as recorders do), and each has a session
 * manifest and part files in the temp folder, so `status` sums their sizes as usual.
 */
import { join } from "node:path";
import { writeManifest } from "../../src/state/session_manifest.ts";
import { enqueueJob } from "../../src/state/job_queue.ts";
import { findExecutable } from "../../src/proc/which.ts";
import { type SlotHandle, SlotPool } from "../../src/state/slot_pool.ts";
import {
  cliCommandArgs,
  defaultConfig,
  MAIN_TS,
  makeSandbox,
  type Sandbox,
  shellQuote,
} from "../../testing/cli.ts";
import { max, median, ratio, round } from "./stats.ts";
import type { Measurement, Workload, WorkloadContext, WorkloadOutcome } from "./workload.ts";

const RECORDINGS = 6;
const JOBS = 50;
const PARTS_PER_RECORDING = 3;

/** One command line whose wall time is measured. */
interface Subject {
  readonly label: string;
  readonly command: string;
  readonly args: string[];
  readonly env: Record<string, string>;
  readonly times: number[];
}

/** The CLI latency workload (see the file comment). */
export const cliLatencyWorkload: Workload = {
  name: "cli-latency",
  title: "CLI latency: status",
  estimate: { full: "~10 s", quick: "~5 s" },
  run: runCliLatency,
};

async function runCliLatency(context: WorkloadContext): Promise<WorkloadOutcome> {
  const runs = context.quick ? 5 : 10;
  await using sandbox = await makeSandbox();
  await sandbox.writeConfig(defaultConfig(sandbox, "hls://127.0.0.1:9/live/{user}/index.m3u8"));
  const slots = await holdRecordings(sandbox);
  try {
    await queueJobs(sandbox);
    const empty = join(context.workDir, "empty.ts");
    await Deno.writeTextFile(empty, "// The floor: deno start-up with twitchtool's flags.\n");
    const subjects = await subjectsFor(sandbox, empty);
    await checkScenario(subjects);
    // One unmeasured run each fills the module and code caches, as on a machine in use.
    for (const subject of subjects) await timeRun(subject);
    for (let run = 1; run <= runs; run++) {
      // Interleaved, so a burst of load elsewhere hits every subject alike.
      for (const subject of subjects) subject.times.push(await timeRun(subject));
      if (run % 5 === 0) context.say(`${run}/${runs} runs of each`);
    }
    return { measurements: report(subjects), notes: [notes(runs)] };
  } finally {
    for (const slot of slots) await slot.release();
  }
}

/** What is timed: the floor, `--version`, `status` both ways, and on a terminal when possible. */
async function subjectsFor(sandbox: Sandbox, empty: string): Promise<Subject[]> {
  const deno = (label: string, args: string[]): Subject => ({
    label,
    command: Deno.execPath(),
    args,
    env: sandbox.env,
    times: [],
  });
  const floor = withScript(empty);
  const subjects = [
    deno("deno run, empty script", floor),
    deno("twitchtool --version", cliCommandArgs(["--version"])),
    deno("twitchtool status", cliCommandArgs(["status"])),
    deno("twitchtool status --json", cliCommandArgs(["status", "--json"])),
  ];
  if (!(await findExecutable("script"))) return subjects;
  return [
    ...subjects,
    onTerminal(sandbox, "empty script on a terminal", floor),
    onTerminal(sandbox, "twitchtool status on a terminal", cliCommandArgs(["status"])),
  ];
}

/** `deno run` argv of the CLI with `script` in place of src/main.ts: same flags, same env. */
function withScript(script: string): string[] {
  return cliCommandArgs([]).map((arg) => arg === MAIN_TS ? script : arg);
}

/**
 * `deno <args>` on a pseudo-terminal through util-linux `script`, with colours allowed (no
 * NO_COLOR, a colour TERM), as in a person's shell. `script` adds its own start-up and a
 * shell, so compare with the empty script run the same way.
 */
function onTerminal(sandbox: Sandbox, label: string, args: string[]): Subject {
  const env: Record<string, string> = { ...sandbox.env, TERM: "xterm-256color" };
  delete env.NO_COLOR;
  const line = [Deno.execPath(), ...args].map(shellQuote).join(" ");
  return { label, command: "script", args: ["-qec", line, "/dev/null"], env, times: [] };
}

/** Takes 6 slots as 6 capturing recorders, each with a session manifest and parts. */
async function holdRecordings(sandbox: Sandbox): Promise<SlotHandle[]> {
  const pool = new SlotPool(sandbox.runtimeDir, RECORDINGS);
  const slots: SlotHandle[] = [];
  await Deno.mkdir(sandbox.tempDir, { recursive: true });
  try {
    for (let index = 1; index <= RECORDINGS; index++) {
      const user = `bench_rec${index}`;
      const startedAt = new Date().toISOString();
      const slot = await pool.tryAcquire({ pid: Deno.pid, username: user, started_at: startedAt });
      if (!slot) throw new Error(`Slot ${index} is taken`);
      slots.push(slot);
      await slot.setState("capturing");
      await writeSession(sandbox, user, startedAt);
    }
    return slots;
  } catch (error) {
    for (const slot of slots) await slot.release();
    throw error;
  }
}

async function writeSession(sandbox: Sandbox, user: string, startedAt: string): Promise<void> {
  const base = `${user}_2024-01-01_00-00-00`;
  const parts: string[] = [];
  for (let index = 1; index <= PARTS_PER_RECORDING; index++) {
    const part = join(sandbox.tempDir, `${base}_part${String(index).padStart(2, "0")}.ts`);
    await Deno.writeFile(part, new Uint8Array(188 * 1024));
    parts.push(part);
  }
  await writeManifest(sandbox.tempDir, {
    user,
    base,
    pid: Deno.pid,
    started_at: startedAt,
    phase: "capturing",
    parts,
    enable_remux: true,
    delete_ts_after_remux: true,
    delete_input_on_success: false,
  });
}

async function queueJobs(sandbox: Sandbox): Promise<void> {
  for (let index = 1; index <= JOBS; index++) {
    await enqueueJob(sandbox.queueDir, {
      input: join(sandbox.recordDir, `bench_job${index}.mp4`),
      output: join(sandbox.recordDir, `bench_job${index}_compressed.mp4`),
      created_at: new Date(Date.UTC(2024, 0, 1, 0, index)).toISOString(),
      delete_input_on_success: false,
    });
  }
}

/** `status --json` must see the 6 recordings and 50 jobs, or the numbers measure nothing. */
async function checkScenario(subjects: readonly Subject[]): Promise<void> {
  const json = subjects.find((subject) => subject.label === "twitchtool status --json");
  if (!json) throw new Error("No status --json subject");
  const output = await run(json);
  const status = JSON.parse(new TextDecoder().decode(output.stdout));
  const recordings = status.recordings?.length;
  const pending = status.queue?.pending?.length;
  if (recordings !== RECORDINGS || pending !== JOBS) {
    throw new Error(`status sees ${recordings} recordings and ${pending} jobs`);
  }
}

/** Wall time of one run, milliseconds, from spawn to exit. */
async function timeRun(subject: Subject): Promise<number> {
  const start = performance.now();
  await run(subject);
  return performance.now() - start;
}

/** Runs a subject with a clean environment, as `spawnCli` does; fails unless it exits 0. */
async function run(subject: Subject): Promise<Deno.CommandOutput> {
  const output = await new Deno.Command(subject.command, {
    args: subject.args,
    env: subject.env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    const stderr = new TextDecoder().decode(output.stderr);
    throw new Error(`${subject.label} failed (exit ${output.code}): ${stderr}`);
  }
  return output;
}

function report(subjects: readonly Subject[]): Measurement[] {
  const medians = new Map(subjects.map((s) => [s.label, median(s.times)]));
  const ms = (label: string) => medians.get(label) ?? NaN;
  const vsFloor = (name: string, label: string, floor: string): Measurement[] =>
    medians.has(label) && medians.has(floor)
      ? [{ metric: name, value: round(ratio(ms(label), ms(floor)), 2), unit: "x" }]
      : [];
  const floor = "deno run, empty script";
  return [
    ...subjects.map((subject): Measurement => ({
      metric: `${subject.label}: median`,
      value: round(median(subject.times), 1),
      unit: "ms",
      note: `max ${round(max(subject.times), 1)} ms`,
    })),
    ...vsFloor("status / empty script", "twitchtool status", floor),
    ...vsFloor("status --json / empty script", "twitchtool status --json", floor),
    ...vsFloor(
      "on a terminal: status / empty script",
      "twitchtool status on a terminal",
      "empty script on a terminal",
    ),
    {
      metric: "twitchtool's own share of status",
      value: round(ms("twitchtool status") - ms(floor), 1),
      unit: "ms",
      note: `of which loading the CLI ~${round(ms("twitchtool --version") - ms(floor), 0)} ms`,
    },
  ];
}

function notes(runs: number): string {
  return `${RECORDINGS} slots held (capturing, ${PARTS_PER_RECORDING} parts each) and ${JOBS} ` +
    `jobs queued; median of ${runs} interleaved runs after one warm-up each, wall time from ` +
    `spawn to exit of \`deno run --quiet --no-prompt <binaryFlags()> ...\` with output to a ` +
    `pipe; "on a terminal" runs the same through util-linux \`script -qec\` (a pseudo-terminal ` +
    `and a shell, colours allowed).`;
}
