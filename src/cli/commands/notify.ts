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
