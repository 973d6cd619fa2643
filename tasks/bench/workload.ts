/**
 * What every benchmark workload is and returns. Each workload lives in its own file and
 * returns plain measurements; `tasks/bench.ts` runs them, renders the table and writes JSON,
 * so the workloads know nothing about presentation.
 */

/**
 * Units a measurement can have; `x` is a ratio of two measurements. `GB` only appears in
 * numbers carried over from hand-written tables into docs/bench/results.json.
 */
export type Unit = "s" | "ms" | "MB" | "GB" | "MB/s" | "%" | "x" | "count";

/** One number of a workload, e.g. "one-pass finalize: 12.3 s". */
export interface Measurement {
  readonly metric: string;
  readonly value: number;
  readonly unit: Unit;
  /** What it is compared against, or how it was obtained, when the metric name is not enough. */
  readonly note?: string;
}

/** What a workload run produced: its numbers and the caveats a reader needs to judge them. */
export interface WorkloadOutcome {
  readonly measurements: Measurement[];
  readonly notes: string[];
}

/** What a workload may use while it runs. */
export interface WorkloadContext {
  /** `--quick`: small sizes and short captures, for a trial run. */
  readonly quick: boolean;
  /** `bench-output/cache/`: generated inputs kept between runs. */
  readonly cacheDir: string;
  /** An empty folder under `bench-output/` for this workload, removed afterwards. */
  readonly workDir: string;
  /** Aborts on Ctrl-C: every wait of the workload must end early and unwind its cleanups. */
  readonly signal: AbortSignal;
  /** Prints a progress line (on stderr, prefixed with the elapsed time and workload name). */
  say(message: string): void;
  /**
   * Awaits long `work`, printing a progress line every few seconds with the elapsed time and,
   * when given, `detail()` (e.g. the bytes written so far).
   */
  during<T>(label: string, work: Promise<T>, detail?: () => Promise<string>): Promise<T>;
}

/** A benchmark: a name for `--only`, a title for the table, and the run. */
export interface Workload {
  readonly name: string;
  readonly title: string;
  /** Rough duration of a full and a quick run, shown before it starts. */
  readonly estimate: { readonly full: string; readonly quick: string };
  run(context: WorkloadContext): Promise<WorkloadOutcome>;
}
