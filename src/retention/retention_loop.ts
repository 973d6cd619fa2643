import { getLogger } from "@logtape/logtape";
import type { Config } from "../config/config.ts";
import type { Clock } from "../util/clock.ts";
import { retentionConfigured, runRetention } from "./run_retention.ts";

const log = getLogger(["twitchtool", "retention"]);

/** How often the poller runs retention on its own. */
export const RETENTION_EVERY_MS = 300_000;

/**
 * The poller's periodic retention: a run at start and every {@link RETENTION_EVERY_MS} until
 * `signal` aborts, beside the poll loop (a run never delays a poll cycle). A failing run is
 * logged and the loop goes on. `config` is asked each time, so a reloaded config (the poller's,
 * `poll/config_reload.ts`) turns retention on or off without a restart.
 */
export async function retentionLoop(
  config: () => Config,
  clock: Clock,
  signal: AbortSignal,
  everyMs = RETENTION_EVERY_MS,
): Promise<void> {
  while (!signal.aborted) {
    try {
      const current = config();
      if (retentionConfigured(current)) await runRetention(current);
    } catch (error) {
      log.error("Retention failed: {error}", { error: (error as Error).message });
    }
    await clock.sleep(everyMs, signal);
  }
}
