import type { Config } from "../config/config.ts";
import type { BackfillSettings } from "./finish_session.ts";

/**
 * `{ backfill }` for {@link SessionDirs} when `[twitch] backfill` is on, else nothing: one place
 * turns the config into back-fill settings for `record`, the poller's sessions and `recover`.
 */
export function backfillSettings(config: Config): { backfill?: BackfillSettings } {
  if (!config.twitch.backfill) return {};
  return {
    backfill: { vodUrlTemplate: config.twitch.vodUrlTemplate, quality: config.record.quality },
  };
}
