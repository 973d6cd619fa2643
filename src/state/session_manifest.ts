import { join } from "node:path";
import { removeIfExists, writeJsonAtomic } from "./atomic_write.ts";

/** Where a capture session stands; lets crash recovery finish it without guessing. */
export type SessionPhase = "capturing" | "finalizing";

/** `<temp>/<base>.session.json`: who recorded what, and which parts belong to it. */
export interface SessionManifest {
  readonly user: string;
  readonly base: string;
  readonly pid: number;
  readonly started_at: string;
  readonly phase: SessionPhase;
  /** Absolute paths of parts holding data, in order. */
  readonly parts: readonly string[];
  readonly enable_remux: boolean;
  readonly delete_ts_after_remux: boolean;
  readonly delete_input_on_success: boolean;
}

/** Path of a session's manifest. */
export function manifestPath(tempDir: string, base: string): string {
  return join(tempDir, `${base}.session.json`);
}

/** Writes the manifest atomically (a crash leaves the previous complete version). */
export function writeManifest(tempDir: string, manifest: SessionManifest): Promise<void> {
  return writeJsonAtomic(manifestPath(tempDir, manifest.base), manifest);
}

/** Removes the manifest once the session's deliverables and job exist. */
export async function removeManifest(tempDir: string, base: string): Promise<void> {
  await removeIfExists(manifestPath(tempDir, base));
}
