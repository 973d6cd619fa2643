/**
 * Keeps encodes from costing a recording its CPU: while any recording is `capturing`, the
 * running ffmpeg is stopped (SIGSTOP) and continued (SIGCONT) once none is. SIGSTOP rather than
 * a lower priority because even a `nice 19` encoder takes cache and memory bandwidth, and a
 * stalled capture loses stream data for good while an encode can always wait.
 *
 * Changes are noticed through a directory watch on the runtime dir (slot owner files are
 * rewritten atomically there) plus a periodic re-check as backstop: a recorder killed with
 * SIGKILL releases its slot lock without touching any file, so only polling sees that.
 */
import { getLogger } from "@logtape/logtape";
import { SlotPool } from "../state/slot_pool.ts";
import { type Clock, systemClock } from "../util/clock.ts";

const log = getLogger(["twitchtool", "encode"]);

/** The part of a child process the controller needs. */
export interface Pausable {
  readonly pid: number;
  signal(signal: Deno.Signal): void;
}

/** Where the controller learns about recordings; injected so unit tests need no files. */
export interface PauseControllerOptions {
  /** True while at least one recording is capturing. */
  readonly isCapturing: () => Promise<boolean>;
  /** Yields on every change that may matter; must end when `signal` aborts. */
  readonly changes?: (signal: AbortSignal) => AsyncIterable<unknown>;
  readonly clock?: Clock;
  /** Backstop re-check period while a child is attached. */
  readonly recheckMs?: number;
  /** Called after the child was stopped (`true`) or continued (`false`). */
  readonly onChange?: (paused: boolean) => void;
}

/** Stops and continues the attached child as recordings start and stop capturing. */
export class PauseController {
  private child: Pausable | undefined;
  private stopped = false;
  private inFlight: Promise<void> | undefined;
  private again = false;

  constructor(private readonly options: PauseControllerOptions) {}

  /** Whether the attached child is stopped right now. */
  get paused(): boolean {
    return this.stopped;
  }

  /** Watches for changes and re-checks periodically until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const clock = this.options.clock ?? systemClock;
    const recheckMs = this.options.recheckMs ?? 750;
    const watching = this.watch(signal);
    while (!signal.aborted) {
      await clock.sleep(recheckMs, signal);
      if (!signal.aborted && this.child) await this.refresh();
    }
    await watching;
  }

  /** Takes charge of a freshly spawned child and stops it at once if a capture is running. */
  async attach(child: Pausable): Promise<void> {
    this.child = child;
    this.stopped = false;
    await this.refresh();
  }

  /** Continues the child if it is stopped and forgets it (it ended, or is about to be stopped). */
  detach(): void {
    const child = this.child;
    this.child = undefined;
    if (child && this.stopped) {
      child.signal("SIGCONT");
      log.info("Resumed ffmpeg (pid {pid}) before letting it go", { pid: child.pid });
    }
    this.stopped = false;
  }

  /** Re-reads the recordings' state and applies it; concurrent calls are coalesced. */
  refresh(): Promise<void> {
    if (this.inFlight) {
      this.again = true;
      return this.inFlight;
    }
    this.inFlight = (async () => {
      do {
        this.again = false;
        await this.evaluate();
      } while (this.again);
    })().finally(() => this.inFlight = undefined);
    return this.inFlight;
  }

  private async evaluate(): Promise<void> {
    if (!this.child) return;
    let capturing: boolean;
    try {
      capturing = await this.options.isCapturing();
    } catch (error) {
      log.warn("Cannot read the recordings' state: {error}", { error: String(error) });
      return;
    }
    const child = this.child;
    if (!child) return;
    if (capturing && !this.stopped) {
      child.signal("SIGSTOP");
      this.stopped = true;
      log.info("Paused ffmpeg (pid {pid}): a recording is capturing", { pid: child.pid });
      this.options.onChange?.(true);
    } else if (!capturing && this.stopped) {
      child.signal("SIGCONT");
      this.stopped = false;
      log.info("Resumed ffmpeg (pid {pid}): no recording is capturing", { pid: child.pid });
      this.options.onChange?.(false);
    }
  }

  private async watch(signal: AbortSignal): Promise<void> {
    if (!this.options.changes) return;
    try {
      for await (const _change of this.options.changes(signal)) {
        if (signal.aborted) break;
        if (this.child) void this.refresh();
      }
    } catch (error) {
      if (signal.aborted) return;
      log.warn("Cannot watch for recordings ({error}); relying on periodic checks", {
        error: String(error),
      });
    }
  }
}

/** True while any slot owner in `runtimeDir` is `capturing` (a `waiting` recorder does not count). */
export function recordingsCapturing(
  runtimeDir: string,
  recordLimit: number,
): () => Promise<boolean> {
  const pool = new SlotPool(runtimeDir, recordLimit);
  return async () => (await pool.list()).some((slot) => slot.state === "capturing");
}
