import type { Config } from "../config/config.ts";
import { parseNotifyUrl } from "../notify/notify_url.ts";
import { findExecutable } from "../proc/which.ts";
import { formatBytes } from "../util/disk_space.ts";
import type { CheckResult } from "./doctor_checks.ts";

/**
 * `doctor`'s view of `[notify]` and `[retention]`: every URL parses (shown masked) and `apprise`
 * is installed when a URL needs it. Nothing is sent: `notify test` does that.
 */
export async function checkNotifications(config: Config): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const name = "notifications";
  if (config.notify.urls.length === 0) {
    results.push({ level: "ok", name, detail: "off (no notify.urls)" });
  }
  for (const url of config.notify.urls) {
    try {
      const target = parseNotifyUrl(url);
      if (target.kind === "apprise" && !(await findExecutable("apprise"))) {
        results.push({
          level: "fail",
          name,
          detail: `${target.display} needs the apprise command, which is not installed`,
        });
      } else {
        const how = target.kind === "apprise" ? "via apprise" : "built in";
        results.push({ level: "ok", name, detail: `${target.display} (${how})` });
      }
    } catch (error) {
      results.push({ level: "fail", name, detail: (error as Error).message });
    }
  }
  const { minFreeBytes, maxAgeDays, keepPerChannel } = config.retention;
  const rules = [
    minFreeBytes !== undefined ? `keep ${formatBytes(minFreeBytes)} free` : "",
    maxAgeDays !== undefined ? `delete after ${maxAgeDays} day(s)` : "",
    keepPerChannel !== undefined ? `keep ${keepPerChannel} per channel` : "",
  ].filter(Boolean);
  results.push({
    level: "ok",
    name: "retention",
    detail: rules.length > 0 ? rules.join(", ") : "off",
  });
  return results;
}
