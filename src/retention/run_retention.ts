/**
 * One retention run: list twitchtool's own recordings, leave out what is protected, plan
 * (src/retention/retention_policy.ts), delete one file at a time and measure the free space after
 * each (a deletion frees what the filesystem says, not the file's size), log each file, count it
 * for `status` and send one `retention_deleted` notification. Runs take turns through a lock, so two recorders starting
 * at once never plan with the same free space twice.
 */
import { getLogger } from "@logtape/logtape";
import type { Config } from "../config/config.ts";
import { channelSettings } from "../config/channel_settings.ts";
import { notify } from "../notify/notify.ts";
import { removeIfExists } from "../state/atomic_write.ts";
import { listOwnRecordings, protectedRecordings } from "../state/own_recordings.ts";
import { updateRetentionState, withRetentionLock } from "../state/retention_state.ts";
import { formatBytes, freeBytes } from "../util/disk_space.ts";
import { removeOrphanSidecars } from "./orphan_sidecars.ts";
import {
  carryOut,
  estimateFree,
  type PlannedDeletion,
  planRetention,
  retentionEnabled,
  type RetentionRules,
  type UploadFacts,
} from "./retention_policy.ts";
import { readUploaded } from "../state/upload_queue.ts";

const log = getLogger(["twitchtool", "retention"]);

/** What a run did (or, dry, would do). */
export interface RetentionResult {
  readonly enabled: boolean;
  readonly deleted: readonly PlannedDeletion[];
  readonly freeBefore: number;
  /** Measured after the last deletion; in a dry run only an estimate. */
  readonly freeAfter: number;
  /** `min_free` stays out of reach with every candidate gone. */
  readonly shortfall: boolean;
  /** Files kept because their upload has not arrived (uploads configured, see docs/uploads.md). */
  readonly heldForUpload: number;
  readonly heldForUploadBytes: number;
}

/** Options of {@link runRetention}. */
export interface RetentionOptions {
  readonly dryRun?: boolean;
  /** Free bytes on the recordings filesystem (injected by tests). */
  readonly freeBytes?: (path: string) => Promise<number>;
  readonly now?: () => number;
  /** `min_free` wanted at least (a capture asks for `disk_free_min` too). */
  readonly atLeastFree?: number;
}

/** Runs retention for `config` (nothing happens when `[retention]` is not set). */
export async function runRetention(
  config: Config,
  options: RetentionOptions = {},
): Promise<RetentionResult> {
  const measure = () => (options.freeBytes ?? freeBytes)(config.paths.recordDir);
  if (!retentionConfigured(config)) {
    const now = await measure().catch(() => 0);
    return {
      enabled: false,
      deleted: [],
      freeBefore: now,
      freeAfter: now,
      shortfall: false,
      heldForUpload: 0,
      heldForUploadBytes: 0,
    };
  }
  const run = async (remove: Parameters<typeof carryOut>[2]) => {
    const freeBefore = await measure();
    const files = await listOwnRecordings(config.paths.recordDir);
    const protect = await protectedRecordings(config.paths.queueDir, config.paths.tempDir);
    const rules = rulesOf(config, options.atLeastFree);
    const uploads = await uploadFacts(config, files);
    const plan = planRetention(files, protect, rules, options.now?.() ?? Date.now(), uploads);
    const outcome = await carryOut(plan, freeBefore, remove);
    const held = [...plan.heldForUpload, ...(outcome.shortfall ? plan.heldForSpace : [])];
    return {
      enabled: true,
      freeBefore,
      ...outcome,
      heldForUpload: held.length,
      heldForUploadBytes: held.reduce((sum, file) => sum + file.bytes, 0),
    };
  };
  if (options.dryRun) return await run(estimateFree);
  return await withRetentionLock(config.paths.stateDir, async () => {
    const result = await run(async (deletion) =>
      await deleteOne(deletion) ? await measure() : undefined
    );
    if (result.deleted.length > 0) await record(config, result.deleted);
    if (result.heldForUpload > 0) log.warn(heldLine(result));
    return result;
  });
}

/**
 * The one line that says retention kept files because their upload has not arrived (and, when
 * it fell short of `min_free`, that this is why).
 */
export function heldLine(result: RetentionResult): string {
  const what = `${result.heldForUpload} file(s) (${formatBytes(result.heldForUploadBytes)})`;
  const why = "not uploaded yet (retention.delete_unuploaded = true lets them go)";
  return result.shortfall
    ? `Retention cannot make room: ${what} ${why}`
    : `Retention keeps ${what} it would delete: ${why}`;
}

/** Which files arrived at the remote, when uploads are configured (`[upload] remote`). */
async function uploadFacts(
  config: Config,
  files: readonly { path: string }[],
): Promise<UploadFacts | undefined> {
  if (config.upload.remote === undefined) return undefined;
  const uploaded = new Set<string>();
  for (const file of files) {
    if (await readUploaded(config.paths.queueDir, file.path)) uploaded.add(file.path);
  }
  return { uploaded, deleteUnuploaded: config.retention.deleteUnuploaded };
}

/** Whether `[retention]` or any `[channel.<login>]` table sets a rule. */
export function retentionConfigured(config: Config): boolean {
  return retentionEnabled(rulesOf(config, undefined), Object.keys(config.channels ?? {}));
}

/** The configured rules, `min_free` raised to `atLeastFree` when retention keeps free space. */
function rulesOf(config: Config, atLeastFree: number | undefined): RetentionRules {
  const { minFreeBytes } = config.retention;
  const wanted = minFreeBytes === undefined || atLeastFree === undefined
    ? minFreeBytes
    : Math.max(minFreeBytes, atLeastFree);
  const forChannel = (user: string) => {
    const own = channelSettings(config, user);
    return { maxAgeDays: own.maxAgeDays, keepPerChannel: own.keep };
  };
  return { ...config.retention, minFreeBytes: wanted, forChannel };
}

/** Deletes one file and the sidecars it leaves orphaned; false when it was not deleted. */
async function deleteOne(deletion: PlannedDeletion): Promise<boolean> {
  try {
    if (!(await removeIfExists(deletion.path))) return false;
  } catch (error) {
    log.warn("Retention cannot delete {path}: {error}", {
      path: deletion.path,
      error: (error as Error).message,
    });
    return false;
  }
  log.info(`Retention deleted {path} (${formatBytes(deletion.bytes)}): {reason}`, {
    path: deletion.path,
    bytes: deletion.bytes,
    reason: deletion.reason,
  });
  for (const path of await removeOrphanSidecars(deletion.path).catch(() => [])) {
    log.info("Retention deleted {path} with its recording", { path });
  }
  return true;
}

async function record(config: Config, deleted: readonly PlannedDeletion[]): Promise<void> {
  const bytes = deleted.reduce((sum, d) => sum + d.bytes, 0);
  await updateRetentionState(config.paths.stateDir, (state) => ({
    ...state,
    deleted_files: state.deleted_files + deleted.length,
    deleted_bytes: state.deleted_bytes + bytes,
    last_deleted_at: new Date().toISOString(),
    last_deleted: deleted.map((d) => d.path),
  }));
  const reasons = [...new Set(deleted.map((d) => d.reason))].join("; ");
  notify({ event: "retention_deleted", files: deleted.map((d) => d.path), bytes, reason: reasons });
}
