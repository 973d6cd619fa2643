/**
 * What each finished recording holds of its broadcast, kept after its session manifest is gone:
 * `<state_dir>/recordings/<base>.json`. `history` reads it beside the files in record_dir (the
 * record dir holds only media; this small record lives with the daemons' state instead).
 */
import { join } from "node:path";
import { ensurePrivateDir, readJsonFile, writeJsonAtomic } from "./atomic_write.ts";
import type { RecordingCoverage } from "./session_manifest.ts";

/** The coverage file of session `base`. */
export function coverageRecordPath(stateDir: string, base: string): string {
  return join(stateDir, "recordings", `${base}.json`);
}

/** Writes the coverage of a delivered recording (atomically; a repeat overwrites it). */
export async function writeCoverageRecord(
  stateDir: string,
  base: string,
  delivered: readonly string[],
  coverage: RecordingCoverage,
): Promise<void> {
  await ensurePrivateDir(join(stateDir, "recordings"));
  await writeJsonAtomic(coverageRecordPath(stateDir, base), { base, delivered, coverage });
}

/** The coverage of session `base`, or null when none was recorded (older or foreign files). */
export async function readCoverageRecord(
  stateDir: string,
  base: string,
): Promise<RecordingCoverage | null> {
  try {
    const value = await readJsonFile(coverageRecordPath(stateDir, base)) as
      | { coverage?: RecordingCoverage }
      | undefined;
    const coverage = value?.coverage;
    return coverage && typeof coverage.captured_seconds === "number" &&
        Array.isArray(coverage.gaps)
      ? coverage
      : null;
  } catch {
    return null;
  }
}
