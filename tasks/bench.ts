/**
 * `deno task bench [--quick] [--only name,...] [--docs]`: runs twitchtool's real workloads (real
 * streamlink, ffmpeg and CLI processes against the local HLS server) one after the other,
 * prints a table of measurements and ratios, and writes the same to
 * `bench-output/results.json` with the machine it ran on. Not part of the tests: it takes
 * minutes and its numbers depend on the machine.
 *
 * `--quick` shrinks every workload (a trial run of ~2 minutes); `--only` picks workloads by
 * name. `--docs` also merges the run's numbers into `docs/bench/results.json`, the committed
 * file docs/performance.md's tables are generated from (`deno task docs`). Progress goes to
 * stderr, the table to stdout. Ctrl-C stops the run and cleans up.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  type BenchResults,
  renderNotes,
  renderTable,
  type WorkloadResult,
  writeResults,
} from "./bench/bench_results.ts";
import { chatFoldWorkload } from "./bench/chat_fold_workload.ts";
import { cliLatencyWorkload } from "./bench/cli_latency.ts";
import { saveToDocs } from "./bench/docs_results.ts";
import { detectionWorkload } from "./bench/detection.ts";
import { encoderPauseWorkload } from "./bench/encoder_pause.ts";
import { everySecondWorkload } from "./bench/every_second_workload.ts";
import { finalizeWorkload } from "./bench/finalize_workload.ts";
import { footprintWorkload } from "./bench/footprint.ts";
import { liveRemuxWorkload } from "./bench/live_remux_workload.ts";
import { loadAverage, machineInfo } from "./bench/machine_info.ts";
import { pollCycleWorkload } from "./bench/poll_cycle.ts";
import { BenchProgressLog } from "./bench/bench_progress_log.ts";
import { reconnectWorkload } from "./bench/reconnect.ts";
import { recorderWorkload } from "./bench/recorder_workload.ts";
import { uploadThroughputWorkload } from "./bench/upload_throughput.ts";
import { InterruptedError } from "./bench/wait.ts";
import type { Workload, WorkloadContext } from "./bench/workload.ts";

/** Every workload, in the order of issue 5 (and of the table), then issue 11's detection. */
const WORKLOADS: readonly Workload[] = [
  finalizeWorkload,
  recorderWorkload,
  encoderPauseWorkload,
  reconnectWorkload,
  pollCycleWorkload,
  cliLatencyWorkload,
  detectionWorkload,
  footprintWorkload,
  everySecondWorkload,
  chatFoldWorkload,
  liveRemuxWorkload,
  uploadThroughputWorkload,
];

/** `bench-output/` at the repository root (git-ignored): results, cached inputs, work folders. */
const OUTPUT_DIR = fileURLToPath(new URL("../bench-output/", import.meta.url));

interface BenchOptions {
  readonly quick: boolean;
  readonly workloads: readonly Workload[];
  /** `--docs`: merge the results into docs/bench/results.json. */
  readonly docs: boolean;
}

/** Parses the command line (`"help"` for `--help`); throws a usage message on anything unknown. */
function parseOptions(args: string[]): BenchOptions | "help" {
  const { values } = parseArgs({
    args,
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      docs: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) return "help";
  const names = values.only?.split(",").map((name) => name.trim()).filter(Boolean);
  const unknown = names?.filter((name) => !WORKLOADS.some((w) => w.name === name)) ?? [];
  if (names?.length === 0) throw new UsageError(`--only needs workload names\n${usage()}`);
  if (unknown.length > 0) {
    throw new UsageError(`Unknown workload ${JSON.stringify(unknown.join(","))}\n${usage()}`);
  }
  if (values.docs && values.quick) {
    throw new UsageError(
      `--docs takes full runs only, not --quick\n${usage()}`,
    );
  }
  return {
    quick: values.quick,
    docs: values.docs,
    workloads: names ? WORKLOADS.filter((w) => names.includes(w.name)) : WORKLOADS,
  };
}

class UsageError extends Error {
  override name = "UsageError";
}

function usage(): string {
  return [
    "Usage: deno task bench [--quick] [--only name,...] [--docs]",
    "  --docs  merge the numbers into docs/bench/results.json (then run `deno task docs`)",
    "Workloads:",
    ...WORKLOADS.map((w) =>
      `  ${w.name.padEnd(14)} ${w.title} (full ${w.estimate.full}, quick ${w.estimate.quick})`
    ),
  ].join("\n");
}

/** Runs one workload in its own work folder; a failure is recorded, not thrown. */
async function runWorkload(
  workload: Workload,
  options: BenchOptions,
  progress: BenchProgressLog,
  signal: AbortSignal,
): Promise<WorkloadResult> {
  const workRoot = join(OUTPUT_DIR, "work");
  await Deno.mkdir(workRoot, { recursive: true });
  const workDir = await Deno.makeTempDir({ dir: workRoot, prefix: `${workload.name}-` });
  const say = (message: string) => progress.line(workload.name, message);
  const context: WorkloadContext = {
    quick: options.quick,
    cacheDir: join(OUTPUT_DIR, "cache"),
    workDir,
    signal,
    say,
    during: (label, work, detail) => progress.during(workload.name, label, work, detail),
  };
  const estimate = options.quick ? workload.estimate.quick : workload.estimate.full;
  say(`starting: ${workload.title} (${estimate})`);
  const start = performance.now();
  const base = () => ({
    name: workload.name,
    title: workload.title,
    seconds: Math.round((performance.now() - start) / 100) / 10,
  });
  try {
    const outcome = await workload.run(context);
    say(`done in ${base().seconds} s`);
    return { ...base(), status: "ok", ...outcome };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    say(`FAILED: ${message}`);
    if (!(error instanceof InterruptedError) && error instanceof Error) console.error(error.stack);
    return { ...base(), status: "failed", measurements: [], notes: [], error: message };
  } finally {
    await Deno.remove(workDir, { recursive: true }).catch(() => {});
  }
}

/** First Ctrl-C aborts `controller` (workloads unwind and clean up); a second one exits. */
function handleInterrupts(controller: AbortController, progress: BenchProgressLog): () => void {
  const onInterrupt = () => {
    if (controller.signal.aborted) Deno.exit(130);
    progress.line("bench", "interrupted: stopping and cleaning up (Ctrl-C again to quit at once)");
    controller.abort();
  };
  Deno.addSignalListener("SIGINT", onInterrupt);
  return () => Deno.removeSignalListener("SIGINT", onInterrupt);
}

/**
 * Prints the table and notes; writes the JSON unless the run was cut short, and merges it into
 * docs/bench/results.json when `docs` is set.
 */
async function publish(document: BenchResults, interrupted: boolean, docs: boolean): Promise<void> {
  console.log(renderTable(document.workloads));
  const notes = renderNotes(document.workloads);
  if (notes) console.log(`\nNotes:\n${notes}`);
  if (interrupted) {
    console.log("\nInterrupted: results.json left as it was");
    return;
  }
  const path = join(OUTPUT_DIR, "results.json");
  await writeResults(path, document);
  console.log(`\nResults written to ${path} (${document.duration_seconds} s in all)`);
  if (!docs) return;
  const command = ["deno task bench", ...Deno.args].join(" ");
  const docsPath = await saveToDocs(document, command);
  console.log(`Merged into ${docsPath}: run \`deno task docs\` to regenerate docs/performance.md`);
}

async function main(): Promise<number> {
  let options: BenchOptions | "help";
  try {
    options = parseOptions(Deno.args);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    return 2;
  }
  if (options === "help") {
    console.log(usage());
    return 0;
  }
  const progress = new BenchProgressLog();
  const controller = new AbortController();
  const stopHandling = handleInterrupts(controller, progress);
  try {
    const startedAt = new Date().toISOString();
    const start = performance.now();
    const machine = await machineInfo();
    const names = options.workloads.map((w) => w.name).join(", ");
    const load = machine.load_average.map((l) => l.toFixed(2)).join(" ");
    progress.line(
      "bench",
      `${options.quick ? "quick" : "full"} run of ${names} on ${machine.nproc} cores, ` +
        `load average ${load}`,
    );
    const results: WorkloadResult[] = [];
    for (const workload of options.workloads) {
      if (controller.signal.aborted) break;
      results.push(await runWorkload(workload, options, progress, controller.signal));
    }
    await publish(
      {
        schema_version: 1,
        mode: options.quick ? "quick" : "full",
        started_at: startedAt,
        duration_seconds: Math.round((performance.now() - start) / 1000),
        machine,
        load_average_end: loadAverage(),
        workloads: results,
      },
      controller.signal.aborted,
      options.docs,
    );
    if (controller.signal.aborted) return 130;
    return results.every((result) => result.status === "ok") ? 0 : 1;
  } finally {
    stopHandling();
  }
}

Deno.exit(await main());
