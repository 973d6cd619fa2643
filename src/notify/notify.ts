/**
 * The process's notifier, set once at start-up by the command that runs: record, the poller,
 * the encoder and retention report through {@link notify} with one call each, without carrying
 * a notifier through every signature (those files are shared by many features). Without a
 * notifier (no `notify.urls`, or a command that does not notify) events go nowhere.
 */
import type { NotifyEvent } from "./notify_event.ts";
import type { Notifier } from "./notifier.ts";

let current: Notifier | undefined;
let forChannel: ((channel: string) => readonly string[]) | undefined;

/**
 * Makes `events` say which events are sent for a channel (its `[channel.<login>] notify`): an
 * event about a channel not in its list goes nowhere. Only narrows `notify.events`.
 */
export function installChannelEvents(
  events: ((channel: string) => readonly string[]) | undefined,
): void {
  forChannel = events;
}

/** Makes `notifier` the one {@link notify} uses (undefined: none). */
export function installNotifier(notifier: Notifier | undefined): void {
  current = notifier;
}

/** The notifier start-up installed, if any (`notify test` sends through it). */
export function installedNotifier(): Notifier | undefined {
  return current;
}

/** Writes `event` to the outbox and sends it in the background; returns at once, never throws. */
export function notify(event: NotifyEvent): void {
  try {
    const channel = "channel" in event ? event.channel : undefined;
    if (channel && forChannel && !forChannel(channel).includes(event.event)) return;
    current?.emit(event);
  } catch {
    // Notifying must never break what it reports on.
  }
}

/**
 * Waits until emitted events are in the outbox and a writer's quick attempts ended (seconds at
 * most), before the process exits; the outbox keeps the rest.
 */
export async function drainNotifications(): Promise<void> {
  await current?.drain();
}

/** The poller's delivery of the outbox until `signal` aborts (nothing without a notifier). */
export async function runNotificationDelivery(signal: AbortSignal): Promise<void> {
  await current?.runDelivery(signal);
}
