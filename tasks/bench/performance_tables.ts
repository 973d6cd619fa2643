/**
 * The tables of docs/performance.md, rendered from `docs/bench/results.json` by `deno task
 * docs`. The page decides which workloads share a table and writes the prose around them; a
 * table is the block between `<!-- bench-table: name,name -->` and `<!-- bench-table:end -->`,
 * one row per measurement, as `deno task bench` prints them. The block between
 * `<!-- bench-runs:start -->` and `<!-- bench-runs:end -->` says which run each workload's
 * numbers come from.
 */
import { markdownTable } from "../markdown_table.ts";
import { formatValue } from "./bench_results.ts";
import type { DocsResults, DocsRun, DocsWorkload } from "./docs_results.ts";

/** The page the tables live in. */
export const PERFORMANCE_DOC = new URL("../../docs/performance.md", import.meta.url);

const TABLE = /(<!-- bench-table: ([\w,-]+) -->)\n[\s\S]*?(<!-- bench-table:end -->)/g;
const RUNS_START = "<!-- bench-runs:start -->";
const RUNS_END = "<!-- bench-runs:end -->";

function findWorkload(docs: DocsResults, name: string): DocsWorkload {
  for (const run of docs.runs) {
    const found = run.workloads.find((workload) => workload.name === name);
    if (found) return found;
  }
  throw new Error(`docs/bench/results.json has no "${name}" workload`);
}

/** One row per measurement of the named workloads, the workload's title on its first row. */
export function renderWorkloadsTable(docs: DocsResults, names: readonly string[]): string {
  const rows = names.flatMap((name) => {
    const workload = findWorkload(docs, name);
    return workload.measurements.map((measurement, index) => [
      index === 0 ? workload.title : "",
      measurement.metric,
      formatValue(measurement),
      measurement.note ?? "",
    ]);
  });
  return markdownTable([["workload", "measurement", "value", "note"], ...rows]);
}

function machineCell(run: DocsRun): string {
  const machine = run.machine;
  if ("description" in machine) return machine.description;
  return `${machine.nproc} cores (${machine.cpu_model}), ${machine.memory_gib} GiB, ` +
    `Linux ${machine.kernel}, Deno ${machine.deno}, streamlink ${machine.streamlink}, ` +
    `ffmpeg ${machine.ffmpeg}; load average ${machine.load_average.join(" ")} at the start`;
}

/** Which run each workload's numbers come from, and on what machine. */
export function renderRunsTable(docs: DocsResults): string {
  const rows = docs.runs.map((run) => [
    run.workloads.map((workload) => `\`${workload.name}\``).join(", "),
    `${run.source}${run.started_at ? ` (${run.started_at.slice(0, 10)})` : ""}`,
    machineCell(run),
  ]);
  return markdownTable([["workloads", "numbers from", "machine"], ...rows]);
}

/** `page` with every bench table and the runs table rendered from `docs`. */
export function withBenchTables(page: string, docs: DocsResults): string {
  const start = page.indexOf(RUNS_START);
  const end = page.indexOf(RUNS_END);
  if (start < 0 || end < start || page.search(TABLE) < 0) {
    throw new Error(
      `docs/performance.md lacks the ${RUNS_START} ... ${RUNS_END} or bench-table markers`,
    );
  }
  const withRuns = `${page.slice(0, start + RUNS_START.length)}\n\n${renderRunsTable(docs)}\n\n` +
    page.slice(end);
  return withRuns.replace(
    TABLE,
    (_, open: string, names: string, close: string) =>
      `${open}\n\n${renderWorkloadsTable(docs, names.split(","))}\n\n${close}`,
  );
}
