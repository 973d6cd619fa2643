/**
 * The notifications of capture sessions and the encoder. A capture session tells its
 * {@link SessionObserver} how it went, and {@link sessionNotifications} is the observer that turns
 * that into messages, so `record` and the poller's hosted sessions report alike without this
 * folder knowing the recorder. A stream that never came (nothing captured), a channel already
 * recorded and a busy slot are not failures worth a message.
 */
import { dirname } from "node:path";
import { sizeOrZero } from "../state/atomic_write.ts";
import { AlreadyRunningError, NothingCapturedError, SlotUnavailableError } from "../errors.ts";
import { notify } from "./notify.ts";

/** What a finished recording delivered, as a session reports it. */
export interface DeliveredRecording {
  /** Final paths in the record dir; the first is the deliverable. */
  readonly delivered: readonly string[];
  readonly duration: number;
  readonly parts: number;
  /** Why the deliverable is not the verified file asked for. */
  readonly fallbackReason?: string;
}

/** Hears a capture session's start and end. */
export interface SessionObserver {
  /** Stream data began to flow for the first time. */
  started(
    user: string,
    base: string,
    stream: { readonly id: string; readonly title?: string } | undefined,
  ): void;
  /** The session delivered its recording. */
  finished(user: string, recording: DeliveredRecording): Promise<void>;
  /** The session failed once it held a slot. */
  failed(user: string, error: Error): void;
}

/** The observer that notifies: `recording_started`, `recording_finished`, `recording_failed`. */
export const sessionNotifications: SessionObserver = {
  started: notifyRecordingStarted,
  finished: notifyRecordingFinished,
  failed(user, error) {
    const quiet = error instanceof NothingCapturedError || error instanceof AlreadyRunningError ||
      error instanceof SlotUnavailableError;
    if (!quiet) notify({ event: "recording_failed", channel: user, reason: error.message });
  },
};

/** `recording_finished`, or `recording_failed` for a deliverable that fell back. */
async function notifyRecordingFinished(user: string, recording: DeliveredRecording) {
  const file = recording.delivered[0];
  if (!file) return;
  if (recording.fallbackReason) {
    notify({
      event: "recording_failed",
      channel: user,
      reason: `fell back to a non-MP4 deliverable: ${recording.fallbackReason}`,
      file,
    });
  } else {
    notify({
      event: "recording_finished",
      channel: user,
      file,
      duration_seconds: Math.round(recording.duration * 10) / 10,
      bytes: await sizeOrZero(file),
      parts: recording.parts,
      gaps: Math.max(0, recording.parts - 1), // the reconnects: each part after the first
    });
  }
}

/** `recording_started` for a session whose stream data began to flow. */
function notifyRecordingStarted(
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
