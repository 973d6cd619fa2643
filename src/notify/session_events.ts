/**
 * The notifications of one capture session, from its outcome: the capture session wraps its
 * work in {@link reportSession} (one call), so record and the poller's hosted sessions report
 * alike. A stream that never came (nothing captured), a channel already recorded and a busy
 * slot are not failures worth a message.
 */
import { dirname } from "node:path";
import { sizeOrZero } from "../state/atomic_write.ts";
import { AlreadyRunningError, NothingCapturedError, SlotUnavailableError } from "../errors.ts";
import type { SessionOutcome } from "../record/capture_session.ts";
import { notify } from "./notify.ts";

/** Awaits `session` and notifies how it ended; the outcome or error passes through. */
export async function reportSession(
  user: string,
  session: Promise<SessionOutcome>,
): Promise<SessionOutcome> {
  let outcome: SessionOutcome;
  try {
    outcome = await session;
  } catch (error) {
    const quiet = error instanceof NothingCapturedError || error instanceof AlreadyRunningError ||
      error instanceof SlotUnavailableError;
    if (!quiet) {
      notify({ event: "recording_failed", channel: user, reason: (error as Error).message });
    }
    throw error;
  }
  const finished = outcome.finished;
  const file = finished?.delivered[0];
  if (!finished || !file) return outcome;
  if (finished.fallbackReason) {
    notify({
      event: "recording_failed",
      channel: user,
      reason: `fell back to a non-MP4 deliverable: ${finished.fallbackReason}`,
      file,
    });
  } else {
    notify({
      event: "recording_finished",
      channel: user,
      file,
      duration_seconds: Math.round(finished.duration * 10) / 10,
      bytes: await sizeOrZero(file),
      parts: finished.parts,
      gaps: Math.max(0, finished.parts - 1),
    });
  }
  return outcome;
}

/** `recording_started` for a session whose stream data began to flow. */
export function notifyRecordingStarted(
  user: string,
  base: string,
  stream: { readonly id: string; readonly title?: string } | undefined,
): void {
  notify({
    event: "recording_started",
    channel: user,
    base,
    ...(stream?.title ? { title: stream.title } : {}),
    ...(stream ? { stream_id: stream.id } : {}),
  });
}

/** `encode_finished` with the size ratio (measured before the input may be deleted). */
export async function notifyEncodeFinished(input: string, output: string): Promise<void> {
  const [inBytes, outBytes] = await Promise.all([sizeOrZero(input), sizeOrZero(output)]);
  notify({
    event: "encode_finished",
    input,
    output,
    bytes: outBytes,
    size_ratio: inBytes > 0 ? Math.round((outBytes / inBytes) * 1000) / 1000 : null,
  });
}

/** `disk_low` from the encoder: it stops starting encodes until there is room again. */
export function notifyEncoderLowDisk(
  output: string,
  free: number,
  minFree: number,
  detail: string,
): void {
  notify({
    event: "disk_low",
    path: dirname(output),
    free_bytes: free,
    min_bytes: minFree,
    detail,
  });
}
