/**
 * What a session does once its capture loop has returned: leave a running capture to the next
 * poller, or journal the end of capturing and finalize, turning "nothing captured" and "no
 * space" into their typed errors. Kept apart from the capture so each outcome reads on its own.
 */
import { getLogger } from "@logtape/logtape";
import { LowDiskError, NothingCapturedError } from "../errors.ts";
import { removeCaptureLock } from "../state/capture_lock.ts";
import { removeManifest } from "../state/session_manifest.ts";
import { isNoSpaceError } from "../util/disk_space.ts";
import { formatDuration } from "../util/format_duration.ts";
import type { CaptureEndReason, CaptureResult } from "./capture_loop.ts";
import { type FinishedSession, finishSession } from "./finish_session.ts";
import { backfillSettings } from "./backfill_settings.ts";
import type { SessionOutcome } from "./capture_session.ts";
import type { SlotSession } from "./_slot_session.ts";

const log = getLogger(["twitchtool", "record"]);

/**
 * Ends the session after its capture loop: `left` returns at once; otherwise the end is
 * journaled and the parts finalized. `recovery` (the sweep of abandoned sessions started
 * alongside) is awaited before returning or throwing.
 */
export async function endCapture(
  session: SlotSession,
  result: CaptureResult,
  recovery: Promise<void>,
): Promise<SessionOutcome> {
  const { user, base } = session;
  if (result.reason === "left") {
    log.info("Left {user} ({base}) capturing for the next poller", { user, base });
    return { reason: "left" };
  }
  await journalCaptureEnd(session, result.reason);
  if (session.parts.length === 0) {
    await removeManifest(session.tempDir, base);
    await recovery;
    throw nothingCaptured(session, result);
  }
  const finished = await finalize(session, result, recovery);
  if (result.reason === "low-disk") {
    throw new LowDiskError(
      `Stopped recording "${user}" early: ${result.detail}; kept ${finished.delivered[0]}`,
    );
  }
  return { reason: result.reason, finished };
}

/** No streamlink runs any more: the capture lock goes, the manifest says capturing ended. */
async function journalCaptureEnd(
  session: SlotSession,
  reason: Exclude<CaptureEndReason, "left">,
): Promise<void> {
  const { config } = session.request;
  const { clock } = session.context;
  const count = session.parts.length;
  await removeCaptureLock(config.paths.runtimeDir, session.base);
  session.capture = undefined;
  session.captureEndedAt = new Date(clock.now()).toISOString();
  // On a full disk this note may not fit: the manifest then keeps its last state (the session
  // is finalized here anyway), and finalize reports the lack of space as documented.
  if (count > 0) {
    await session.journal().catch((error) => {
      if (!isNoSpaceError(error)) throw error;
      log.warn("No room to note the end of capture in the manifest of {base}", {
        base: session.base,
      });
    });
  }
  log.info(
    `Capture ended: ${
      describeEnd(reason, config.record.retryWindow, session.networkTrouble)
    }; ${count} part(s), slot released`,
    { reason, count },
  );
}

/** The error of a session that kept no part: out of space, or no stream (network or channel). */
function nothingCaptured(session: SlotSession, result: CaptureResult): Error {
  const { user, networkTrouble } = session;
  if (result.reason === "low-disk") {
    return new LowDiskError(`Stopped recording "${user}": ${result.detail}`);
  }
  return new NothingCapturedError(
    networkTrouble
      ? `Nothing captured for "${user}": the stream could not be reached (${networkTrouble}), a network problem`
      : `Nothing captured for "${user}": the stream was not available`,
  );
}

/**
 * Finalizes the kept parts. Out of space, nothing is lost: the parts and the manifest stay for
 * `recover` once there is room, and a `LowDiskError` says so.
 */
async function finalize(
  session: SlotSession,
  result: CaptureResult,
  recovery: Promise<void>,
): Promise<FinishedSession> {
  const { config, lowPriority } = session.request;
  const { user, base, tempDir } = session;
  try {
    return await finishSession(session.manifest(), {
      tempDir,
      recordDir: config.paths.recordDir,
      queueDir: config.paths.queueDir,
      stateDir: config.paths.stateDir,
      ...(lowPriority ? { lowPriority } : {}),
      ...backfillSettings(config),
    });
  } catch (error) {
    const outOfSpace = isNoSpaceError(error) ||
      (result.reason === "low-disk" && (await session.context.lowDiskReason()) !== undefined);
    if (!outOfSpace) throw error;
    log.warn("Cannot finalize {base}: {error}", { base, error: (error as Error).message });
    const why = result.detail ?? (error as Error).message;
    throw new LowDiskError(
      `Stopped recording "${user}": ${why}; not finalized for lack of space: ${session.parts.length} part(s) kept in "${tempDir}", free some space and run "twitchtool recover"`,
    );
  } finally {
    await recovery;
  }
}

/** Why capturing ended, in the user's words (the internal reason stays a log property). */
function describeEnd(
  reason: Exclude<CaptureEndReason, "left">,
  retryWindow: number,
  networkTrouble?: string,
): string {
  switch (reason) {
    case "window-expired":
      return networkTrouble
        ? `the stream could not be reached for retry_window (${
          formatDuration(retryWindow)
        }): ${networkTrouble}`
        : `the stream stayed offline for retry_window (${formatDuration(retryWindow)})`;
    case "interrupted":
      return "stopped on request";
    case "low-disk":
      return "free space fell below disk_free_min";
  }
}
