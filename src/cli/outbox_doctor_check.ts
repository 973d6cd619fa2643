import type { Config } from "../config/config.ts";
import { readDaemonState } from "../state/daemon_state.ts";
import { readOutboxView } from "../state/notify_outbox.ts";
import type { CheckResult } from "./doctor_checks.ts";

/**
 * `doctor`'s view of the notification outbox: how many events wait, and whether anything will
 * deliver them. A process without network (the encoder's unit) leaving its events there is how
 * it is meant to work, so waiting events are only worth a warning when no poller runs.
 */
export async function checkOutbox(config: Config): Promise<CheckResult> {
  const name = "outbox";
  const { stateDir } = config.paths;
  const outbox = await readOutboxView(stateDir);
  const dropped = outbox.dropped > 0 ? `; ${outbox.dropped} dropped after give_up_after` : "";
  if (outbox.waiting === 0) return { level: "ok", name, detail: `empty${dropped}` };
  const waiting = `${outbox.waiting} notification(s) waiting`;
  if ((await readDaemonState(stateDir, "poller")).running) {
    return { level: "ok", name, detail: `${waiting}, the poller delivers them${dropped}` };
  }
  return {
    level: config.notify.urls.length > 0 ? "warn" : "note",
    name,
    detail: config.notify.urls.length > 0
      ? `${waiting} and no poller runs: "twitchtool notify flush" delivers them${dropped}`
      : `${waiting}, but "notify.urls" is empty: nothing will send them${dropped}`,
  };
}
