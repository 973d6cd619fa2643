/**
 * The process's notifier, set once at start-up by the command that runs: record, the poller,
 * the encoder and retention report through {@link notify} with one call each, without carrying
 * a notifier through every signature (those files are shared by many features). Without a
 * notifier (no `notify.urls`, or a command that does not notify) events go nowhere.
 */
import type { NotifyEvent } from "./notify_event.ts";
import type { Notifier } from "./notifier.ts";

let current: Notifier | undefined;

/** Makes `notifier` the one {@link notify} uses (undefined: none). */
export function installNotifier(notifier: Notifier | undefined): void {
  current = notifier;
}

/** The notifier start-up installed, if any (`notify test` sends through it). */
export function installedNotifier(): Notifier | undefined {
  return current;
}

/** Sends `event` in the background; returns at once and never throws. */
export function notify(event: NotifyEvent): void {
  try {
    current?.emit(event);
  } catch {
    // Notifying must never break what it reports on.
  }
}

/** Waits for queued notifications (before the process exits). */
export async function drainNotifications(): Promise<void> {
  await current?.drain();
}
