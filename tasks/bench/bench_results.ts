/**
 * A run's results, as the table printed at the end and as `bench-output/results.json` (the
 * same numbers, machine-readable, for tracking across runs).
 */
import Table from "cli-table3";
import { dirname } from "node:path";
import { writeJsonAtomic } from "../../src/state/atomic_write.ts";
import type { MachineInfo } from "./machine_info.ts";
import type { Measurement } from "./workload.ts";

/** One workload's part of the results. */
export interface WorkloadResult {
  readonly name: string;
  readonly title: string;
  readonly status: "ok" | "failed";
  readonly seconds: number;
  readonly measurements: readonly Measurement[];
  readonly notes: readonly string[];
  readonly error?: string;
}

/** The whole JSON document. */
export interface BenchResults {
  /** Bumped when the shape changes, so trackers can tell old files apart. */
  readonly schema_version: 1;
  readonly mode: "full" | "quick";
  readonly started_at: string;
  readonly duration_seconds: number;
  readonly machine: MachineInfo;
  /** Load averages when the run ended, to judge how busy the machine was meanwhile. */
  readonly load_average_end: number[];
  readonly workloads: readonly WorkloadResult[];
}

/** `12.3 s`, `1.8x`, `42%`: a value with its unit, as printed in the table. */
export function formatValue(measurement: Measurement): string {
  const { value, unit } = measurement;
  if (!Number.isFinite(value)) return "n/a";
  const text = value.toLocaleString("en-US", { maximumFractionDigits: 3 });
  if (unit === "x") return `${text}x`;
  if (unit === "%") return `${text}%`;
  if (unit === "count") return text;
  return `${text} ${unit}`;
}

/** The table of every workload's measurements, a failed workload showing its error. */
export function renderTable(workloads: readonly WorkloadResult[]): string {
  const table = new Table({
    head: ["workload", "measurement", "value", "note"],
    wordWrap: true,
    // No colours: plain text in a pipe or a file, and no per-cell colour module lookups.
    style: { head: [], border: [] },
    colWidths: [20, 44, 14, 40],
  });
  for (const workload of workloads) {
    if (workload.status === "failed") {
      table.push([workload.title, "FAILED", "", firstLine(workload.error ?? "")]);
      continue;
    }
    workload.measurements.forEach((measurement, index) => {
      table.push([
        index === 0 ? workload.title : "",
        measurement.metric,
        formatValue(measurement),
        measurement.note ?? "",
      ]);
    });
  }
  return table.toString();
}

/** The notes of every workload, as numbered lines under the table. */
export function renderNotes(workloads: readonly WorkloadResult[]): string {
  return workloads
    .flatMap((workload) => workload.notes.map((note) => `- ${workload.title}: ${note}`))
    .join("\n");
}

/** Writes the results as pretty JSON, replacing the previous run's file atomically. */
export async function writeResults(path: string, results: BenchResults): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  await writeJsonAtomic(path, results);
}

/** The first line of an error, at most 200 characters: the whole one is in the JSON and on stderr. */
function firstLine(text: string): string {
  const line = text.split("\n")[0] ?? "";
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}
