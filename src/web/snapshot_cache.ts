/**
 * The page's data, re-read every couple of seconds on its own timer and served from memory.
 * Requests never read a file and the poll loop never waits for the page: a slow or hostile
 * client can only hold its own connection, and a slow disk only makes the page older. Two
 * readings in a row give what one cannot: each recording's bitrate, and the counters of
 * `/metrics` (recordings finished or failed, bytes captured since this process started).
 */
import { getLogger } from "@logtape/logtape";
import type { Config } from "../config/config.ts";
import type { RecordingEntry } from "../state/recording_history.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { type PageData, readHistory, readPageState, type WebCounters } from "./page_data.ts";

const log = getLogger(["twitchtool", "web"]);

/** Where the readings come from (the files, via `page_data.ts`; fakes in unit tests). */
export interface SnapshotSources {
  readState(now: number): Promise<Omit<PageData, "history" | "counters">>;
  readHistory(): Promise<RecordingEntry[]>;
}

/** The real sources: the files `config` names. */
export function fileSources(config: Config): SnapshotSources {
  return {
    readState: (now) => readPageState(config, now),
    readHistory: () => readHistory(config),
  };
}

/** How often the cache re-reads. */
export interface SnapshotCacheOptions {
  readonly refreshMs?: number;
  /** History is re-read this often, and whenever a recording ends. */
  readonly historyRefreshMs?: number;
  readonly clock?: Clock;
}

interface Seen {
  bytes: number;
  at: number;
  /** The recording's start, ms. */
  startedAt: number;
}

/** Keeps the newest {@link PageData}; {@link SnapshotCache.run} refreshes it until aborted. */
export class SnapshotCache {
  #current: PageData | undefined;
  #history: RecordingEntry[] = [];
  #historyAt = -Infinity;
  readonly #seen = new Map<string, Seen>();
  /** Every recording of the history listed so far (channel and start). */
  readonly #files = new Set<string>();
  /** Recordings that appeared after the first reading, not yet matched to an ended recording. */
  readonly #unclaimed: RecordingEntry[] = [];
  readonly #startedAt: number;
  readonly #clock: Clock;
  #counters: WebCounters = { recordings_finished: 0, recordings_failed: 0, bytes_written: 0 };

  constructor(
    private readonly sources: SnapshotSources,
    private readonly options: SnapshotCacheOptions = {},
  ) {
    this.#clock = options.clock ?? systemClock;
    this.#startedAt = this.#clock.now();
  }

  /** The newest reading; `undefined` until the first one completed. */
  get current(): PageData | undefined {
    return this.#current;
  }

  /** Refreshes until `signal` aborts; a failed reading is logged and the old one kept. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.refresh();
      } catch (error) {
        log.warn("Cannot read the status page's data: {error}", { error: String(error) });
      }
      await this.#clock.sleep(this.options.refreshMs ?? 2000, signal);
    }
  }

  /** One reading of every file; exported for tests and for the first reading at start-up. */
  async refresh(): Promise<PageData> {
    const now = this.#clock.now();
    const state = await this.sources.readState(now);
    const active = new Set(state.status.recordings.map((r) => keyOf(r)));
    const ended = [...this.#seen.keys()].filter((key) => !active.has(key));
    const historyDue = now - this.#historyAt >= (this.options.historyRefreshMs ?? 15_000);
    if (ended.length > 0 || historyDue || this.#current === undefined) {
      await this.#readHistory(now);
    }
    this.#countEnded(ended);
    const details = state.details.map((detail) => {
      const recording = state.status.recordings.find((r) =>
        r.user === detail.user && r.pid === detail.pid
      )!;
      return { ...detail, bytes_per_second: this.#observe(recording, now) };
    });
    this.#current = { ...state, details, history: this.#history, counters: this.#counters };
    return this.#current;
  }

  /** Re-reads the history; files new since the first reading wait to be claimed. */
  async #readHistory(now: number): Promise<void> {
    const first = this.#current === undefined;
    this.#history = await this.sources.readHistory();
    this.#historyAt = now;
    for (const entry of this.#history) {
      // A recording keeps its key when its encode replaces it or it goes to the remote.
      const file = `${entry.user.toLowerCase()}\n${entry.started_at}`;
      if (this.#files.has(file)) continue;
      this.#files.add(file);
      if (!first) this.#unclaimed.push(entry);
    }
    // Files nobody claims (a `recover`, a copy) must not pile up.
    this.#unclaimed.splice(0, Math.max(0, this.#unclaimed.length - 100));
  }

  /** Records a recording's size; returns its rate since the last reading and counts growth. */
  #observe(
    recording: { user: string; pid: number; started_at: string; bytes: number },
    now: number,
  ): number | null {
    const key = keyOf(recording);
    const before = this.#seen.get(key);
    this.#seen.set(key, {
      bytes: recording.bytes,
      at: now,
      startedAt: Date.parse(recording.started_at),
    });
    // A recording started after this process counts from zero; an older one from here.
    const base = before?.bytes ??
      (Date.parse(recording.started_at) >= this.#startedAt ? 0 : recording.bytes);
    const grown = Math.max(0, recording.bytes - base);
    if (grown > 0) {
      this.#counters = { ...this.#counters, bytes_written: this.#counters.bytes_written + grown };
    }
    if (!before || now <= before.at) return null;
    return Math.max(0, (recording.bytes - before.bytes) * 1000 / (now - before.at));
  }

  /**
   * A recording that left the list finished if a new file of its channel, named for a start
   * no earlier than the recording's (10 minutes of slack), appeared meanwhile; else it failed.
   */
  #countEnded(ended: string[]): void {
    let { recordings_finished: finished, recordings_failed: failed } = this.#counters;
    for (const key of ended) {
      const seen = this.#seen.get(key)!;
      this.#seen.delete(key);
      const user = key.split("\n")[0];
      const index = this.#unclaimed.findIndex((h) =>
        h.user.toLowerCase() === user && Date.parse(h.started_at) >= seen.startedAt - 600_000
      );
      if (index >= 0) {
        this.#unclaimed.splice(index, 1);
        finished++;
      } else {
        failed++;
      }
    }
    this.#counters = {
      ...this.#counters,
      recordings_finished: finished,
      recordings_failed: failed,
    };
  }
}

/**
 * One recording across readings: channel and recorder pid (its start time changes from the
 * slot's to the session's when it starts finalizing).
 */
function keyOf(recording: { user: string; pid: number }): string {
  return `${recording.user.toLowerCase()}\n${recording.pid}`;
}
