/**
 * The one-shot finalize that tests and the bench drive directly on parts they made: stage, commit
 * and remove, the steps `finishSession()` journals one by one for a real session.
 */
import { syncDirectory } from "../src/state/atomic_write.ts";
import {
  commitDelivery,
  type FinalizeSettings,
  removeParts,
  stageDeliverables,
} from "../src/record/finalize.ts";

/** What finalizing some parts produced. */
export interface FinalizeResult {
  /** The file to encode: the `.mp4`, or the merged `.ts` when remux is off or failed. */
  readonly deliverable: string;
  /** Every file moved into the record dir. */
  readonly delivered: readonly string[];
  readonly duration: number;
  readonly unreadableParts: readonly string[];
  /** Remux was asked for and no `.mp4` was delivered. */
  readonly remuxFailed: boolean;
  readonly fallbackReason?: string;
}

/** Turns `parts` into the deliverable(s), delivers them and deletes the parts. */
export async function finalizeRecording(
  parts: readonly string[],
  settings: FinalizeSettings,
): Promise<FinalizeResult> {
  const staged = await stageDeliverables(parts, settings);
  const delivered: string[] = [];
  for (const delivery of staged.deliveries) delivered.push(await commitDelivery(delivery));
  await syncDirectory(settings.recordDir);
  await removeParts(staged.readableParts, settings);
  return {
    deliverable: delivered[0]!,
    delivered,
    duration: staged.duration,
    unreadableParts: staged.unreadableParts,
    remuxFailed: settings.enableRemux &&
      !staged.deliveries.some((delivery) => delivery.format === "mp4"),
    ...(staged.fallbackReason ? { fallbackReason: staged.fallbackReason } : {}),
  };
}
