/**
 * Retention where a capture meets the disk: the capture session measures free space through
 * this wrapper (one call at its start, then at every disk check). The first measurement runs
 * retention with every rule (a recording that starts makes room for itself); a later one that
 * falls below `disk_free_min` runs it again, asking for at least `disk_free_min` when
 * `min_free` is set. When the disk stays below `disk_free_min`, it notifies `disk_low` once per
 * session and notes the reason for `status`; the capture itself then stops as it always did.
 */
import { getLogger } from "@logtape/logtape";
import type { Config } from "../config/config.ts";
import { notify } from "../notify/notify.ts";
import { updateRetentionState, withRetentionLock } from "../state/retention_state.ts";
import { formatBytes, freeBytes } from "../util/disk_space.ts";
import { retentionEnabled } from "./retention_policy.ts";
import { runRetention } from "./run_retention.ts";

const log = getLogger(["twitchtool", "retention"]);

/** After retention could not make enough room, it is not tried again for this long. */
const RETRY_AFTER_MS = 60_000;

/** Free-space measurement for one capture session of `user` (see the module doc). */
export function freeBytesMakingRoom(
  config: Config,
  user: string,
  measure: (path: string) => Promise<number> = freeBytes,
  now: () => number = Date.now,
): (path: string) => Promise<number> {
  const minFree = config.storage.diskFreeMinBytes;
  let first = true;
  let lastShortfall = -Infinity;
  let warned = false;
  const retention = async (atLeastFree?: number) => {
    try {
      const result = await runRetention(config, {
        freeBytes: measure,
        ...(atLeastFree ? { atLeastFree } : {}),
      });
      if (result.shortfall) lastShortfall = now();
    } catch (error) {
      lastShortfall = now();
      log.error("Retention failed: {error}", { error: (error as Error).message });
    }
  };
  return async (path) => {
    const enabled = retentionEnabled(config.retention);
    let available: number | undefined;
    if (first && enabled) {
      await retention(minFree);
      available = await measure(path);
      // Still too little: what it could do it did, no second run right away.
      if (available < minFree) lastShortfall = now();
    }
    first = false;
    available ??= await measure(path);
    if (available >= minFree) return available;
    if (enabled && now() - lastShortfall >= RETRY_AFTER_MS) {
      await retention(minFree);
      available = await measure(path);
      if (available >= minFree) return available;
      // Rules without min_free (age, count) may free nothing: do not rerun at every check.
      lastShortfall = now();
    }
    if (!warned) {
      warned = true;
      await reportLowDisk(config, user, path, available);
    }
    return available;
  };
}

async function reportLowDisk(
  config: Config,
  user: string,
  path: string,
  available: number,
): Promise<void> {
  const minFree = config.storage.diskFreeMinBytes;
  const retention = retentionEnabled(config.retention)
    ? "retention found nothing more it may delete"
    : "retention is off";
  const detail = `only ${formatBytes(available)} free on "${path}", below disk_free_min ${
    formatBytes(minFree)
  }, and ${retention}: recording of ${user} stops`;
  notify({
    event: "disk_low",
    path,
    free_bytes: available,
    min_bytes: minFree,
    channel: user,
    detail,
  });
  await withRetentionLock(
    config.paths.stateDir,
    () =>
      updateRetentionState(config.paths.stateDir, (state) => ({
        ...state,
        last_low_disk: { at: new Date().toISOString(), channel: user, detail },
      })),
  ).catch((error) =>
    log.warn("Cannot note the low disk for status: {error}", { error: String(error) })
  );
}
