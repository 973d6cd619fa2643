import type { Config } from "../config/config.ts";
import { findLowPriorityTools, requireTools } from "../proc/which.ts";
import type { Clock } from "../util/clock.ts";
import type { CaptureEndReason } from "./capture_loop.ts";
import { type BroadcastInfo, runCaptureSession } from "./capture_session.ts";
import type { FinishedSession } from "./finish_session.ts";
import { normalizeUsername } from "./username.ts";

/** One `record` run. */
export interface RecordRequest {
  readonly username: string;
  readonly config: Config;
  readonly failFast: boolean;
  /** The broadcast the poller saw live (from the API), recorded in the session manifest. */
  readonly stream?: BroadcastInfo | undefined;
}

/** What a finished recording produced. */
export interface RecordOutcome {
  readonly reason: CaptureEndReason;
  readonly finished: FinishedSession;
}

/** Collaborators of the recorder, real by default. */
export interface RecorderDeps {
  readonly clock?: Clock;
  /** Free bytes on the recordings filesystem. */
  readonly freeBytes?: (path: string) => Promise<number>;
}

/**
 * `twitchtool record`: validate, then run one capture session in this process (the same
 * session the poller hosts) until the stream is gone for `retry_window`. Stops capturing (and
 * still finalizes) when `signal` aborts or `stop <slot>` asks.
 */
export async function runRecorder(
  request: RecordRequest,
  signal: AbortSignal,
  deps: RecorderDeps = {},
): Promise<RecordOutcome> {
  const user = normalizeUsername(request.username);
  await requireTools(["streamlink", "ffmpeg", "ffprobe", "flock"]);
  const outcome = await runCaptureSession(
    {
      user,
      config: request.config,
      failFast: request.failFast,
      ...(request.stream ? { stream: request.stream } : {}),
      lowPriority: await findLowPriorityTools(),
    },
    { stop: signal },
    deps,
  );
  // Only a hosted session can be left; `record` has no leave signal.
  if (!outcome.finished) throw new Error(`Recording of "${user}" was left unfinished`);
  return { reason: outcome.reason, finished: outcome.finished };
}
