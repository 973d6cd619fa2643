/**
 * Notifications that are never lost and never hold anything up. `emit` writes the event to the
 * outbox (src/state/notify_outbox.ts: one file per event and target, written atomically), so
 * what a process meant to say outlives a kill -9, a SIGTERM or a unit without network. Then:
 * - a writer (`record`, `encode-daemon run`, `clean --retention`, `recover`) makes one quick
 *   attempt ({@link QUICK_TIMEOUT_MS}); what it sends it removes, what fails stays for the
 *   deliverer, so an exit waits seconds at most, never for a dead endpoint;
 * - the deliverer, `poller run` (the long-running process that has the network), sends what is
 *   in the outbox ({@link Notifier.runDelivery}), retrying a failing entry after 5 s, 10 s,
 *   20 s, ... (at most 60 s) until `giveUpAfterMs` after the event, then drops it with one log
 *   line and a count for `status`. It stops at once on shutdown: an entry in flight goes back.
 * `notify flush` makes one pass of the same delivery ({@link Notifier.flush}). An entry is sent by
 * whoever claims it (a rename plus a lock), so two processes never send it both.
 */
import { getLogger } from "@logtape/logtape";
import {
  claimOutboxEntry,
  completeOutboxEntry,
  dropOutboxEntry,
  listOutbox,
  type OutboxClaim,
  recoverOutboxClaims,
  releaseOutboxEntry,
  writeOutboxRecord,
} from "../state/notify_outbox.ts";
import type { Clock } from "../util/clock.ts";
import { type NotifyEvent, renderEvent } from "./notify_event.ts";
import type { NotifyTarget } from "./notify_url.ts";
import type { SendDeps } from "./send_notification.ts";
import { sendNotification } from "./send_notification.ts";

const log = getLogger(["twitchtool", "notify"]);

/** First pause between a deliverer's attempts; it doubles up to {@link MAX_BACKOFF_MS}. */
const FIRST_BACKOFF_MS = 5_000;
const MAX_BACKOFF_MS = 60_000;
/** A writer's one attempt is abandoned after this long (the deliverer retries). */
export const QUICK_TIMEOUT_MS = 3_000;
/** How often the deliverer looks for entries other processes wrote. */
export const DELIVERY_EVERY_MS = 2_000;
/** Entries a deliverer sends at once. */
const PARALLEL_SENDS = 8;

/** What a notifier is made of. */
export interface NotifierOptions {
  readonly targets: readonly NotifyTarget[];
  /** Event names to send; others are ignored (`test` is always sent). */
  readonly events: readonly string[];
  readonly giveUpAfterMs: number;
  readonly clock: Clock;
  readonly send: SendDeps;
  /** The state dir, whose `outbox/` holds what is not delivered yet. */
  readonly stateDir: string;
  /** `deliver`: the poller, which runs {@link Notifier.runDelivery}; `write`: any other. */
  readonly role: "deliver" | "write";
}

/** The result of one target in {@link Notifier.sendNow}. */
export interface DeliveryResult {
  readonly target: string;
  readonly ok: boolean;
  readonly error?: string;
}

/** What one attempt at an outbox entry came to. */
export type AttemptOutcome = "sent" | "kept" | "dropped" | "taken";

/** How one attempt runs: its timeout, what aborts it, whether `give_up_after` may drop. */
interface AttemptHow {
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  /** False for a writer's quick attempt: only a deliverer gives up on an entry. */
  readonly mayDrop: boolean;
}

/** Counts of a {@link Notifier.flush}. */
export type FlushResult = Record<AttemptOutcome, number>;

/** Writes events to the outbox and delivers it (see the module doc). */
export class Notifier {
  readonly #options: NotifierOptions;
  readonly #inFlight = new Set<Promise<void>>();
  /** Per entry name: attempts this process made and when the next is due. */
  readonly #retries = new Map<string, { attempts: number; nextAt: number }>();
  #keys: Promise<string[]> | undefined;
  #wake = new AbortController();

  constructor(options: NotifierOptions) {
    this.#options = options;
  }

  /** Whether a target is reached over HTTP by twitchtool itself (not through apprise). */
  get sendsOverHttp(): boolean {
    return this.#options.targets.some((target) => target.kind !== "apprise");
  }

  /** Writes `event` to the outbox for every target; never throws, never waits. */
  emit(event: NotifyEvent): void {
    if (event.event !== "test" && !this.#options.events.includes(event.event)) return;
    const work = this.#store(event).catch((error) =>
      log.error("Notification {event} not stored: {error}", {
        event: event.event,
        error: (error as Error).message,
      })
    );
    this.#inFlight.add(work);
    work.finally(() => this.#inFlight.delete(work));
  }

  /** Waits until what was emitted is in the outbox (and a writer's quick attempts ended). */
  async drain(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  /** One attempt per target, at once, for `notify test` (the outbox is not involved). */
  async sendNow(event: NotifyEvent): Promise<DeliveryResult[]> {
    const message = renderEvent(event);
    return await Promise.all(this.#options.targets.map(async (target) => {
      try {
        await sendNotification(target, message, this.#options.send);
        return { target: target.display, ok: true };
      } catch (error) {
        return { target: target.display, ok: false, error: (error as Error).message };
      }
    }));
  }

  /** The deliverer's loop: a pass every {@link DELIVERY_EVERY_MS} (or when woken) until `signal`. */
  async runDelivery(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.#pass(signal, false);
      } catch (error) {
        log.error("Notification delivery failed: {error}", { error: (error as Error).message });
      }
      const wake = this.#wake.signal;
      await this.#options.clock.sleep(DELIVERY_EVERY_MS, AbortSignal.any([signal, wake]));
      if (wake.aborted) this.#wake = new AbortController();
    }
  }

  /** One attempt at every entry in the outbox (`notify flush`), dropping those past due. */
  async flush(signal: AbortSignal): Promise<FlushResult> {
    const outcomes = await this.#pass(signal, true);
    const result: FlushResult = { sent: 0, kept: 0, dropped: 0, taken: 0 };
    for (const outcome of outcomes) result[outcome]++;
    return result;
  }

  async #store(event: NotifyEvent): Promise<void> {
    const { stateDir, clock, role } = this.#options;
    const created = new Date(clock.now()).toISOString();
    const names: string[] = [];
    for (const target of await this.#targetKeys()) {
      names.push(await writeOutboxRecord(stateDir, { target, created_at: created, event }));
    }
    if (role === "deliver") return this.#wake.abort();
    const quick = {
      timeoutMs: QUICK_TIMEOUT_MS,
      signal: new AbortController().signal,
      mayDrop: false,
    };
    await Promise.all(names.map((name) => this.#attempt(name, quick)));
  }

  /** Recovers dead claimers' entries, then attempts the due ones (`all`: every one). */
  async #pass(signal: AbortSignal, all: boolean): Promise<AttemptOutcome[]> {
    const { stateDir, clock } = this.#options;
    await recoverOutboxClaims(stateDir);
    const names = await listOutbox(stateDir);
    for (const name of this.#retries.keys()) if (!names.includes(name)) this.#retries.delete(name);
    const now = clock.now();
    const due = names.filter((name) => all || (this.#retries.get(name)?.nextAt ?? 0) <= now);
    const outcomes: AttemptOutcome[] = [];
    for (let i = 0; i < due.length && !signal.aborted; i += PARALLEL_SENDS) {
      const batch = due.slice(i, i + PARALLEL_SENDS);
      const how = { timeoutMs: this.#options.send.timeoutMs, signal, mayDrop: true };
      outcomes.push(...await Promise.all(batch.map((name) => this.#attempt(name, how))));
    }
    return outcomes;
  }

  /** Claims entry `name` and sends it once; settles the claim by the result. */
  async #attempt(name: string, how: AttemptHow): Promise<AttemptOutcome> {
    let claim: OutboxClaim | undefined;
    try {
      claim = await claimOutboxEntry(this.#options.stateDir, name);
    } catch (error) {
      log.error("{error}", { error: (error as Error).message });
      return "taken";
    }
    if (!claim) return "taken";
    const event = claim.record.event as unknown as NotifyEvent;
    const index = (await this.#targetKeys()).indexOf(claim.record.target);
    const target = this.#options.targets[index];
    if (!target) {
      log.warn("Dropped notification {event}: its target is no longer in notify.urls", {
        event: event.event,
      });
      await dropOutboxEntry(claim, new Date(this.#options.clock.now()));
      return "dropped";
    }
    try {
      await sendNotification(target, renderEvent(event), this.#sendDeps(how));
    } catch (error) {
      return await this.#failed(claim, target, error as Error, how);
    }
    await completeOutboxEntry(claim);
    this.#retries.delete(name);
    log.debug("Sent {event} to {target}", { event: event.event, target: target.display });
    return "sent";
  }

  /** A failed attempt: back to the outbox, or dropped by a deliverer once `give_up_after` passed. */
  async #failed(
    claim: OutboxClaim,
    target: NotifyTarget,
    error: Error,
    how: AttemptHow,
  ): Promise<AttemptOutcome> {
    const { clock, giveUpAfterMs } = this.#options;
    const retry = this.#retries.get(claim.name) ?? { attempts: 0, nextAt: 0 };
    const attempts = retry.attempts + 1;
    const pause = Math.min(FIRST_BACKOFF_MS * 2 ** retry.attempts, MAX_BACKOFF_MS);
    this.#retries.set(claim.name, { attempts, nextAt: clock.now() + pause });
    const age = clock.now() - Date.parse(claim.record.created_at);
    if (how.signal.aborted || !how.mayDrop || age < giveUpAfterMs) {
      log.debug("Left {event} to {target} in the outbox: {error}", {
        event: claim.record.event.event,
        target: target.display,
        error: error.message,
      });
      await releaseOutboxEntry(claim);
      return "kept";
    }
    log.warn("Dropped notification {event} to {target} after {attempts} attempt(s): {error}", {
      event: claim.record.event.event,
      target: target.display,
      attempts,
      error: error.message,
    });
    await dropOutboxEntry(claim, new Date(clock.now()));
    this.#retries.delete(claim.name);
    return "dropped";
  }

  /** The send deps of one attempt: its own timeout, and shutdown aborts the request. */
  #sendDeps({ timeoutMs, signal }: AttemptHow): SendDeps {
    const { send } = this.#options;
    const fetchAbortable: typeof fetch = (input, init) =>
      send.fetch(input, {
        ...init,
        signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal,
      });
    return { ...send, fetch: fetchAbortable, timeoutMs };
  }

  /** One key per target (a digest of its parsed URL): what an outbox entry names. */
  #targetKeys(): Promise<string[]> {
    this.#keys ??= Promise.all(this.#options.targets.map(targetKey));
    return this.#keys;
  }
}

/** A digest of what the target sends to (never the URL itself: entries hold no credential). */
async function targetKey(target: NotifyTarget): Promise<string> {
  const { display: _display, secrets: _secrets, ...where } = target;
  const bytes = new TextEncoder().encode(JSON.stringify(where));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...digest.slice(0, 12)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}
