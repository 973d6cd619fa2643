/**
 * `docs/bench/results.json`: the benchmark numbers docs/performance.md shows, committed so the
 * page's tables are generated (`deno task docs`) instead of copied by hand. `bench-output/`
 * stays the scratch output of every run; `deno task bench --docs` merges a finished run in
 * here.
 *
 * The page's numbers come from several runs (a full one, then `--only` runs of single
 * workloads), so the file keeps runs, each with the workloads it measured: a new run takes
 * over the workloads it measured and a run left with none is dropped.
 */
import { writeJsonAtomic } from "../../src/state/atomic_write.ts";
import type { BenchResults, WorkloadResult } from "./bench_results.ts";
import type { MachineInfo } from "./machine_info.ts";

/** The committed file. */
export const DOCS_RESULTS = new URL("../../docs/bench/results.json", import.meta.url);

/**
 * The machine of numbers copied from an older page rather than written by the bench: what the
 * page said of it, in words.
 */
export interface DescribedMachine {
  readonly description: string;
}

/**
 * A workload's result as the file keeps it: `seconds` (how long the workload ran) is null for
 * carried-over numbers, whose run time was not recorded.
 */
export type DocsWorkload = Omit<WorkloadResult, "seconds"> & { readonly seconds: number | null };

/** One run's part of the file. */
export interface DocsRun {
  /**
   * Where the numbers come from: the bench command that wrote them, or, for numbers carried
   * over from the hand-written tables, which page and run they were copied from.
   */
  readonly source: string;
  readonly mode: "full" | "quick";
  /** Null for carried-over numbers whose run's date was not recorded. */
  readonly started_at: string | null;
  readonly machine: MachineInfo | DescribedMachine;
  readonly workloads: readonly DocsWorkload[];
}

/** The whole document. */
export interface DocsResults {
  readonly schema_version: 1;
  readonly runs: readonly DocsRun[];
}

/** Reads and shape-checks the committed file. */
export async function readDocsResults(path: URL | string = DOCS_RESULTS): Promise<DocsResults> {
  const parsed = JSON.parse(await Deno.readTextFile(path)) as DocsResults;
  if (parsed.schema_version !== 1 || !Array.isArray(parsed.runs)) {
    throw new Error(`${path}: not a schema_version 1 document with runs`);
  }
  return parsed;
}

/**
 * `docs` with `run`'s successful workloads in place of the same workloads of older runs. A
 * failed workload keeps the numbers it had.
 */
export function mergeRun(docs: DocsResults, run: DocsRun): DocsResults {
  const fresh = run.workloads.filter((workload) => workload.status === "ok");
  const taken = new Set(fresh.map((workload) => workload.name));
  const older = docs.runs
    .map((old) => ({ ...old, workloads: old.workloads.filter((w) => !taken.has(w.name)) }))
    .filter((old) => old.workloads.length > 0);
  return {
    schema_version: 1,
    runs: fresh.length > 0 ? [...older, { ...run, workloads: fresh }] : older,
  };
}

/** The run a bench document becomes in the committed file, `command` quoted as code. */
export function docsRun(results: BenchResults, command: string): DocsRun {
  return {
    source: `\`${command}\``,
    mode: results.mode,
    started_at: results.started_at,
    machine: results.machine,
    workloads: results.workloads,
  };
}

/** Merges `results` into the committed file and writes it atomically. */
export async function saveToDocs(results: BenchResults, command: string): Promise<string> {
  const path = DOCS_RESULTS.pathname;
  const merged = mergeRun(await readDocsResults(path), docsRun(results, command));
  await writeJsonAtomic(path, merged);
  return path;
}
