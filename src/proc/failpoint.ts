/**
 * Crash-test hook shared by every journaled sequence (finishing a session, finishing an encode):
 * `TWITCHTOOL_FAILPOINT=<step>` kills this process with SIGKILL when it reaches that step, so
 * end-to-end tests prove that each crash point ends in the same state as an uninterrupted run.
 */
import { getLogger } from "@logtape/logtape";
import { signalPid } from "./spawn.ts";

const log = getLogger(["twitchtool", "failpoint"]);

/** Steps of finishing a recording session (`src/record/finish_session.ts`). */
export type SessionFailpoint = "staged" | "moving" | "moved" | "delivered" | "enqueued";

/** Steps of finishing an encode job (`src/encode/encode_daemon.ts`). */
export type EncodeFailpoint =
  | "encode-verified"
  | "encode-journaled"
  | "encode-installed"
  | "input-deleted";

/**
 * Steps of a hosted capture (`src/record/_streamlink_start.ts`): `streamlink-spawned` is right
 * after a detached streamlink started, before its pid is journaled.
 */
export type CaptureFailpoint = "streamlink-spawned";

/** A step a test can kill the process at. */
export type FailpointStep = SessionFailpoint | EncodeFailpoint | CaptureFailpoint;

/** Kills this process with SIGKILL when `TWITCHTOOL_FAILPOINT` names `step`; otherwise returns. */
export async function failpoint(step: FailpointStep): Promise<void> {
  let wanted: string | undefined;
  try {
    wanted = Deno.env.get("TWITCHTOOL_FAILPOINT");
  } catch {
    return;
  }
  if (wanted !== step) return;
  log.warn("Failpoint {step}: killing this process", { step });
  await signalPid(Deno.pid, "SIGKILL");
  await new Promise(() => {});
}
