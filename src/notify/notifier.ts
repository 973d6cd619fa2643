/**
 * Delivers notifications off the caller's path: `emit` only queues and returns, so a recording
 * never waits for a slow or dead server. Each message is tried per target with growing pauses
 * (5 s, 10 s, 20 s, ... at most 60 s) until `giveUpAfterMs` has passed, then dropped with one
 * log line naming the masked target. `drain` lets a command that is about to exit wait for what
 * is still in flight.
 */
import { getLogger } from "@logtape/logtape";
import type { Clock } from "../util/clock.ts";
import { type NotifyEvent, renderEvent } from "./notify_event.ts";
import type { NotifyTarget } from "./notify_url.ts";
import type { SendDeps } from "./send_notification.ts";
import { sendNotification } from "./send_notification.ts";

const log = getLogger(["twitchtool", "notify"]);

/** First pause between attempts; it doubles up to {@link MAX_BACKOFF_MS}. */
const FIRST_BACKOFF_MS = 5_000;
const MAX_BACKOFF_MS = 60_000;

/** What a notifier is made of. */
export interface NotifierOptions {
  readonly targets: readonly NotifyTarget[];
  /** Event names to send; others are ignored (`test` is always sent). */
  readonly events: readonly string[];
  readonly giveUpAfterMs: number;
  readonly clock: Clock;
  readonly send: SendDeps;
}

/** The result of one target in {@link Notifier.sendNow}. */
export interface DeliveryResult {
  readonly target: string;
  readonly ok: boolean;
  readonly error?: string;
}

/** Queues events and delivers them in the background (see the module doc). */
export class Notifier {
  readonly #options: NotifierOptions;
  readonly #inFlight = new Set<Promise<void>>();

  constructor(options: NotifierOptions) {
    this.#options = options;
  }

  /** Whether a target is reached over HTTP by twitchtool itself (not through apprise). */
  get sendsOverHttp(): boolean {
    return this.#options.targets.some((target) => target.kind !== "apprise");
  }

  /** Queues `event` for every target; never throws, never waits. */
  emit(event: NotifyEvent): void {
    if (event.event !== "test" && !this.#options.events.includes(event.event)) return;
    for (const target of this.#options.targets) {
      const delivery = this.#deliver(target, event).catch((error) =>
        log.error("Notification failed: {error}", { error: String(error) })
      );
      this.#inFlight.add(delivery);
      delivery.finally(() => this.#inFlight.delete(delivery));
    }
  }

  /** Waits until every queued message was delivered or given up. */
  async drain(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  /** One attempt per target, at once, for `notify test`. */
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

  async #deliver(target: NotifyTarget, event: NotifyEvent): Promise<void> {
    const { clock, giveUpAfterMs } = this.#options;
    const message = renderEvent(event);
    const giveUpAt = clock.now() + giveUpAfterMs;
    let pause = FIRST_BACKOFF_MS;
    for (let attempt = 1;; attempt++) {
      try {
        await sendNotification(target, message, this.#options.send);
        log.debug("Sent {event} to {target}", { event: event.event, target: target.display });
        return;
      } catch (error) {
        const left = giveUpAt - clock.now();
        if (left <= 0) {
          log.warn(
            "Dropped notification {event} to {target} after {attempts} attempt(s): {error}",
            {
              event: event.event,
              target: target.display,
              attempts: attempt,
              error: (error as Error).message,
            },
          );
          return;
        }
        await clock.sleep(Math.min(pause, left));
        pause = Math.min(pause * 2, MAX_BACKOFF_MS);
      }
    }
  }
}
