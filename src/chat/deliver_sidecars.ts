/**
 * Finalize's steps for what a recording's journal holds (chat, title/game, the part timing):
 * before the video pass, {@link stageChapters} writes the ffmetadata that pass reads; once the
 * video is delivered and before the parts are deleted (their clocks place the messages),
 * {@link deliverSidecars} writes `<stem>.chat.json` (with chat on) and `<stem>.info.json`
 * beside it, atomically, then drops the journal. Both run in `finish_session.ts`, so `record`,
 * `recover` and an adopting poller all do it, and repeating them after a crash writes the same
 * files again.
 */
import { basename, dirname, extname, join } from "node:path";
import { getLogger } from "@logtape/logtape";
import { DTS_JUMP_THRESHOLD_SECONDS } from "../proc/ffmpeg_args.ts";
import {
  pathExists,
  removeIfExists,
  writeFileAtomic,
  writeJsonAtomic,
} from "../state/atomic_write.ts";
import { tsTimeRange } from "../util/media_duration.ts";
import { buildChatArchive } from "./chat_archive.ts";
import { chatJournalPath, type JournalEntry, readJournal } from "./chat_journal.ts";
import { DeliveredTimeline } from "./delivered_timeline.ts";
import { chaptersOf, ffmetadata, metaHistory } from "./session_chapters.ts";
import { sessionInfo } from "./session_info.ts";

const log = getLogger(["twitchtool", "chat"]);

/** The session facts these files need (a subset of the manifest). */
export interface ChatSession {
  readonly user: string;
  readonly base: string;
  readonly started_at: string;
  readonly stream_id?: string;
  readonly live_since?: string;
  readonly first_data_at?: string;
  readonly duration?: number;
  readonly parts: readonly string[];
  readonly delivered?: readonly string[];
}

/** What finalize writes beside a recording: its chat; retention deletes it with the video. */
export const CHAT_SUFFIX = ".chat.json";
/** What finalize writes beside a recording: its info; retention deletes it with the video. */
export const INFO_SUFFIX = ".info.json";

/** `<dir>/<stem><suffix>` for a delivered recording. */
export function sidecarFor(recording: string, suffix: string): string {
  return join(dirname(recording), `${basename(recording, extname(recording))}${suffix}`);
}

/** `<temp>/<base>.ffmeta`: the chapters the finalize pass writes into the `.mp4`. */
export function chaptersPath(tempDir: string, base: string): string {
  return join(tempDir, `${base}.ffmeta`);
}

async function load(session: ChatSession, tempDir: string) {
  const journal = chatJournalPath(tempDir, session.base);
  if (!(await pathExists(journal))) return undefined;
  const entries = await readJournal(journal);
  const parts = [];
  for (const path of session.parts) parts.push({ path, range: await tsTimeRange(path) });
  const timeline = new DeliveredTimeline(parts, entries, DTS_JUMP_THRESHOLD_SECONDS);
  return { journal, entries, timeline };
}

/**
 * Writes the chapters file when the journal saw a title or game; its path, or undefined
 * (no journal, or nothing to mark).
 */
export async function stageChapters(
  session: ChatSession,
  tempDir: string,
): Promise<string | undefined> {
  const loaded = await load(session, tempDir);
  if (!loaded) return undefined;
  const chapters = chaptersOf(
    metaHistory(loaded.entries, loaded.timeline),
    loaded.timeline.totalSeconds,
  );
  if (chapters.length === 0) return undefined;
  const path = chaptersPath(tempDir, session.base);
  await writeFileAtomic(path, ffmetadata(chapters));
  return path;
}

/**
 * Writes `<stem>.chat.json` (when chat was captured) and `<stem>.info.json` beside the
 * delivered recording, then removes the journal and chapters file; undefined without a
 * journal.
 */
export async function deliverSidecars(
  session: ChatSession,
  tempDir: string,
): Promise<{ chat?: string; info: string; comments: number | null } | undefined> {
  const recording = session.delivered?.[0];
  const loaded = recording ? await load(session, tempDir) : undefined;
  if (!recording || !loaded) return undefined;
  const { entries, timeline } = loaded;
  const comments = await writeChat(session, recording, entries, timeline);
  const info = sidecarFor(recording, INFO_SUFFIX);
  await writeJsonAtomic(info, sessionInfo(session, recording, entries, timeline, comments));
  await removeIfExists(loaded.journal);
  await removeIfExists(chaptersPath(tempDir, session.base));
  return {
    info,
    comments,
    ...(comments !== null ? { chat: sidecarFor(recording, CHAT_SUFFIX) } : {}),
  };
}

async function writeChat(
  session: ChatSession,
  recording: string,
  entries: readonly JournalEntry[],
  timeline: DeliveredTimeline,
): Promise<number | null> {
  if (!entries.some((entry) => entry.k === "chat")) return null;
  const archive = buildChatArchive(
    { user: session.user, streamId: session.stream_id, startedAt: session.started_at },
    entries,
    timeline,
  );
  const path = sidecarFor(recording, CHAT_SUFFIX);
  await writeJsonAtomic(path, archive);
  log.info("Chat of {base}: {count} message(s) in {path}", {
    base: session.base,
    count: archive.comments.length,
    path,
  });
  return archive.comments.length;
}
