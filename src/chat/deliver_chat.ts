/**
 * Finalize's chat step: folds the session's journal into `<stem>.chat.json` beside the
 * delivered recording (written atomically), then drops the journal. Runs after the video is
 * delivered and before the parts are deleted (their lengths place the messages), in
 * `finish_session.ts`, so `record`, `recover` and an adopting poller all do it, and repeating
 * it after a crash writes the same file again.
 */
import { basename, dirname, extname, join } from "node:path";
import { getLogger } from "@logtape/logtape";
import { pathExists, removeIfExists, writeJsonAtomic } from "../state/atomic_write.ts";
import { DTS_JUMP_THRESHOLD_SECONDS } from "../proc/ffmpeg_args.ts";
import { tsTimeRange } from "../util/media_duration.ts";
import { buildChatArchive } from "./chat_archive.ts";
import { chatJournalPath, readJournal } from "./chat_journal.ts";
import { DeliveredTimeline } from "./delivered_timeline.ts";

const log = getLogger(["twitchtool", "chat"]);

/** The session facts the chat file needs (a subset of the manifest). */
export interface ChatSession {
  readonly user: string;
  readonly base: string;
  readonly started_at: string;
  readonly stream_id?: string;
  readonly parts: readonly string[];
  readonly delivered?: readonly string[];
}

/** `<dir>/<stem>.chat.json` for a delivered recording. */
export function chatFileFor(recording: string): string {
  return join(dirname(recording), `${basename(recording, extname(recording))}.chat.json`);
}

/**
 * Writes the chat file of a delivered session and removes its journal; returns its path and
 * comment count, or undefined when the session has no journal (chat was off).
 */
export async function deliverChat(
  session: ChatSession,
  tempDir: string,
): Promise<{ path: string; comments: number } | undefined> {
  const journal = chatJournalPath(tempDir, session.base);
  const recording = session.delivered?.[0];
  if (!recording || !(await pathExists(journal))) return undefined;
  const entries = await readJournal(journal);
  const parts = [];
  for (const path of session.parts) parts.push({ path, range: await tsTimeRange(path) });
  const timeline = new DeliveredTimeline(parts, entries, DTS_JUMP_THRESHOLD_SECONDS);
  const archive = buildChatArchive(
    { user: session.user, streamId: session.stream_id, startedAt: session.started_at },
    entries,
    timeline,
  );
  const path = chatFileFor(recording);
  await writeJsonAtomic(path, archive);
  await removeIfExists(journal);
  log.info("Chat of {base}: {count} message(s) in {path}", {
    base: session.base,
    count: archive.comments.length,
    path,
  });
  return { path, comments: archive.comments.length };
}
