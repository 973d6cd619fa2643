import { withShutdownSignals } from "../../proc/signals.ts";
import { readOutboxView } from "../../state/notify_outbox.ts";
import { installedNotifier } from "../../notify/notify.ts";
import { type GlobalOptions, loadCommandConfig } from "../context.ts";
import { printLine } from "../output.ts";

/**
 * `twitchtool notify test`: one test message to every `notify.urls` entry, at once and without
 * retries, with each result on its own line (URLs masked). Exit 1 when any target failed.
 */
export async function notifyTestCommand(globals: GlobalOptions): Promise<number> {
  const config = await loadCommandConfig(globals);
  if (config.notify.urls.length === 0) {
    printLine('No notification targets: set "notify.urls" in the config');
    return 1;
  }
  // Start-up (loadCommandConfig) built and installed it from these URLs already.
  const notifier = installedNotifier();
  if (!notifier) throw new Error("notify test: start-up installed no notifier");
  const results = await notifier.sendNow({ event: "test" });
  for (const result of results) {
    printLine(result.ok ? `ok      ${result.target}` : `failed  ${result.target}: ${result.error}`);
  }
  return results.every((result) => result.ok) ? 0 : 1;
}

/**
 * `twitchtool notify flush`: one attempt at every event in the notification outbox, for when no
 * poller runs to deliver it; an event past `give_up_after` that fails again is dropped. Prints
 * the counts; exit 1 when events are left in the outbox.
 */
export async function notifyFlushCommand(globals: GlobalOptions): Promise<number> {
  const config = await loadCommandConfig(globals);
  const notifier = installedNotifier();
  if (!notifier) {
    printLine('No notification targets: set "notify.urls" in the config');
    return 1;
  }
  const result = await withShutdownSignals((signal) => notifier.flush(signal));
  const { waiting } = await readOutboxView(config.paths.stateDir);
  printLine(
    `Delivered ${result.sent}, dropped ${result.dropped}, ${waiting} left in the outbox`,
  );
  return waiting === 0 ? 0 : 1;
}
