/**
 * Finished recordings as `record` delivers them to record_dir: `<user>_<date>_<time>.mp4`
 * (or `.ts` without remux) and, once encoded, `<same>_compressed.mp4` beside it (alone when
 * the encoder deleted the input). Read-only, for `twitchtool history`.
 */
import { join } from "node:path";
import { parseSessionBase } from "./session_folder.ts";
import { mediaDuration } from "../util/media_duration.ts";
import { listDirEntries } from "./atomic_write.ts";
import { readCoverageRecord } from "./coverage_record.ts";
import type { RecordingCoverage } from "./session_manifest.ts";

/** One finished recording. */
export interface RecordingEntry {
  readonly user: string;
  /** Start of the recording (from its name, local time), ISO 8601. */
  readonly started_at: string;
  /** The recording as delivered, or null when only its encode is left. */
  readonly path: string | null;
  readonly bytes: number | null;
  /** Playing time of the recording (or of its encode when only that is left). */
  readonly duration_seconds: number | null;
  readonly encoded: boolean;
  readonly compressed_path: string | null;
  readonly compressed_bytes: number | null;
  /**
   * What the recording holds of its broadcast (seconds captured, back-filled, dropped as
   * repeats; holes left), as finalize recorded it; null for recordings finalized without it.
   */
  readonly coverage: RecordingCoverage | null;
  /** Comments in `<stem>.chat.json` beside it; null without one. */
  readonly chat_messages: number | null;
}

const RECORDING = /^(.+?)(_compressed)?\.(mp4|ts)$/;

/**
 * Comments in the `.chat.json` at `path`, null without one. The chat feature owns that format
 * (src/chat/chat_counts.ts), so the caller passes its reader in.
 */
export type ChatFileCount = (path: string) => Promise<number | null>;

/**
 * The newest `limit` recordings in `recordDir`, newest first, with their chat messages counted
 * by `chatMessages` and their coverage from `stateDir` when given.
 */
export async function listRecordings(
  recordDir: string,
  limit: number,
  chatMessages: ChatFileCount,
  stateDir?: string,
): Promise<RecordingEntry[]> {
  const files = new Map<string, { original?: string; compressed?: string }>();
  for (const entry of await listDirEntries(recordDir)) {
    if (!entry.isFile || entry.name.startsWith(".")) continue;
    const match = RECORDING.exec(entry.name);
    if (!match || !parseSessionBase(match[1]!)) continue;
    if (match[2] && match[3] !== "mp4") continue;
    const found = files.get(match[1]!) ?? {};
    if (match[2]) found.compressed = entry.name;
    else found.original ??= entry.name;
    files.set(match[1]!, found);
  }
  const newest = [...files.entries()]
    .map(([stem, found]) => ({ stem, found, base: parseSessionBase(stem)! }))
    .sort((a, b) =>
      b.base.startedAt.getTime() - a.base.startedAt.getTime() || (a.stem < b.stem ? 1 : -1)
    )
    .slice(0, limit);
  return await Promise.all(newest.map(async ({ stem, found, base }) => {
    const path = found.original ? join(recordDir, found.original) : null;
    const compressed = found.compressed ? join(recordDir, found.compressed) : null;
    return {
      user: base.user,
      started_at: base.startedAt.toISOString(),
      path,
      bytes: path ? await sizeOf(path) : null,
      duration_seconds: await mediaDuration((path ?? compressed)!),
      encoded: compressed !== null,
      compressed_path: compressed,
      compressed_bytes: compressed ? await sizeOf(compressed) : null,
      coverage: stateDir ? await readCoverageRecord(stateDir, stem) : null,
      chat_messages: await chatMessages(join(recordDir, `${stem}.chat.json`)),
    };
  }));
}

/**
 * The recording's file as it is in record_dir now: the delivered original, or its encode when
 * only that is left (`listRecordings()` lists no entry without either).
 */
export function recordingFile(
  entry: Pick<RecordingEntry, "path" | "compressed_path">,
): string {
  return (entry.path ?? entry.compressed_path)!;
}

async function sizeOf(path: string): Promise<number | null> {
  try {
    return (await Deno.stat(path)).size;
  } catch {
    return null;
  }
}
