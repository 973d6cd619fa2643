/**
 * Watches a process and its descendants through `/proc` while a workload runs: when each
 * process was first and last seen, its CPU seconds at those moments and its peak RSS. A
 * process's counters vanish with it, so they are sampled while it lives; the sampling period
 * bounds the timing resolution and what is missed at the end of a short-lived child.
 */
import {
  descendants,
  peakRssBytes,
  type ProcStat,
  pssBytes,
  readProcStat,
} from "../../testing/proc_stat.ts";
import { sleep } from "./wait.ts";

/** One process as sampled. Times are `performance.now()` values. */
export interface SampledProcess {
  readonly pid: number;
  readonly comm: string;
  readonly firstSeen: number;
  lastSeen: number;
  /** CPU seconds (own threads, children excluded) at the first and the last sample. */
  readonly firstCpu: number;
  lastCpu: number;
  /** Largest `VmHWM` seen, bytes. */
  peakRss: number;
  /** Largest proportional set size sampled (shared pages split among their users), bytes. */
  peakPss: number;
}

/** Samples `root` and its descendants, on demand or every `everyMs` in the background. */
export class ProcessSampler {
  readonly #seen = new Map<number, SampledProcess>();
  #loop: Promise<void> | undefined;
  readonly #stop = new AbortController();

  constructor(readonly root: number, private readonly everyMs: number) {}

  /** Every process seen so far, in order of appearance. */
  get processes(): SampledProcess[] {
    return [...this.#seen.values()].sort((a, b) => a.firstSeen - b.firstSeen);
  }

  /** The root process as last sampled (undefined before the first sample). */
  get rootProcess(): SampledProcess | undefined {
    return this.#seen.get(this.root);
  }

  /** Descendants whose command name is `comm` (e.g. `streamlink`), in order of appearance. */
  named(comm: string): SampledProcess[] {
    return this.processes.filter((process) => process.pid !== this.root && process.comm === comm);
  }

  /** Takes one sample of the root and every live descendant now. */
  async sample(): Promise<void> {
    const now = performance.now();
    const root = await readProcStat(this.root);
    const stats = root && root.state !== "Z" ? [root, ...(await descendants(this.root))] : [];
    for (const stat of stats) await this.#record(stat, now);
  }

  /** Samples every `everyMs` until {@link stop}; `signal` (Ctrl-C) stops it too. */
  start(signal: AbortSignal): void {
    const stop = AbortSignal.any([signal, this.#stop.signal]);
    this.#loop ??= (async () => {
      while (!stop.aborted) {
        await this.sample();
        await sleep(this.everyMs, stop).catch(() => {});
      }
    })();
  }

  /** Stops the background sampling. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
  }

  async #record(stat: ProcStat, now: number): Promise<void> {
    const rss = (await peakRssBytes(stat.pid)) ?? 0;
    const pss = (await pssBytes(stat.pid)) ?? 0;
    const known = this.#seen.get(stat.pid);
    if (known && known.comm === stat.comm) {
      known.lastSeen = now;
      known.lastCpu = stat.cpuSeconds;
      known.peakRss = Math.max(known.peakRss, rss);
      known.peakPss = Math.max(known.peakPss, pss);
      return;
    }
    this.#seen.set(stat.pid, {
      pid: stat.pid,
      comm: stat.comm,
      firstSeen: now,
      lastSeen: now,
      firstCpu: stat.cpuSeconds,
      lastCpu: stat.cpuSeconds,
      peakRss: rss,
      peakPss: pss,
    });
  }
}
