/**
 * Folds a chat journal into `<name>.chat.json` in memory that does not grow with the chat: a
 * 24-hour chat of millions of messages is read line by line twice and written comment by
 * comment (atomically: temp file, fsync, rename).
 *
 * - The first pass notes what the file's head needs (the room id, the title) and the
 *   moderation: CLEARMSG and CLEARCHAT flag earlier comments `state: "deleted"`, so each is
 *   kept as the journal position it acts up to (a map of message ids and logins, as large as
 *   the moderation, not the chat).
 * - The second pass writes the comments in order of their place in the delivered file. A
 *   message's moment is at most `SENT_TOLERANCE_MS` before its arrival and the journal is in
 *   arrival order, so once the journal reaches wall time `w` no later message can land before
 *   `position(w - SENT_TOLERANCE_MS)`: comments wait in a small buffer (seconds of chat) until
 *   then, and come out sorted as a whole-file sort would put them.
 * - A line that cannot become a comment is skipped and counted, never the end of the file.
 */
import { getLogger } from "@logtape/logtape";
import { writeFileAtomicWith } from "../state/atomic_write.ts";
import { roundMillis } from "../util/round_millis.ts";
import {
  type ChatArchive,
  type ChatArchiveInfo,
  type ChatComment,
  momentOf,
  SENT_TOLERANCE_MS,
  toComment,
} from "./chat_archive.ts";
import { journalEntries, type SkippedLines } from "./chat_journal.ts";
import type { DeliveredTimeline } from "./delivered_timeline.ts";
import { parseIrcMessage } from "./irc_message.ts";

const log = getLogger(["twitchtool", "chat"]);

/** What a fold wrote. */
export interface FoldedChat {
  readonly comments: number;
  /** Journal lines skipped: torn, malformed, over the size limit, or not a valid comment. */
  readonly skipped: number;
}

/** Writes the chat JSON of `journal` to `path`, placed on `timeline`. */
export async function foldChat(
  info: ChatArchiveInfo,
  journal: string,
  timeline: DeliveredTimeline,
  path: string,
): Promise<FoldedChat> {
  const skipped: SkippedLines = { count: 0 };
  const scan = await scanJournal(journal);
  let comments = 0;
  await writeFileAtomicWith(path, async (write) => {
    const out = new TextWriter(write);
    const head = JSON.stringify(archiveHead(info, scan, timeline), null, 2);
    await out.text(head.slice(0, head.lastIndexOf("]")));
    const emit = async (ready: readonly ChatComment[]) => {
      for (const comment of ready) {
        const text = JSON.stringify(comment, null, 2).replaceAll("\n", "\n    ");
        await out.text(`${comments++ === 0 ? "" : ","}\n    ${text}`);
      }
    };
    const order = new CommentOrder();
    let index = 0;
    for await (const entry of journalEntries(journal, skipped)) {
      const at = index++;
      if (entry.k !== "irc") continue;
      const comment = commentOf(info, entry, timeline, skipped);
      if (!comment) continue;
      if (scan.deletes(comment, at)) comment.state = "deleted";
      order.add(comment);
      await emit(order.takeUpTo(timeline.position(entry.w - SENT_TOLERANCE_MS)));
    }
    await emit(order.takeUpTo(undefined));
    await out.text(comments === 0 ? "]\n}\n" : "\n  ]\n}\n");
    await out.flush();
  });
  if (skipped.count > 0) {
    log.warn("Skipped {count} unusable line(s) of the chat journal {journal}", {
      count: skipped.count,
      journal,
    });
  }
  return { comments, skipped: skipped.count };
}

/** The comment an archived line becomes, or undefined (not a message, or after the end). */
function commentOf(
  info: ChatArchiveInfo,
  entry: { readonly w: number; readonly line: string },
  timeline: DeliveredTimeline,
  skipped: SkippedLines,
): ChatComment | undefined {
  const message = parseIrcMessage(entry.line);
  if (message?.command !== "PRIVMSG" && message?.command !== "USERNOTICE") return undefined;
  const offset = timeline.position(momentOf(message, entry.w));
  if (offset === undefined) return undefined;
  try {
    return toComment(message, entry.w, offset, info.streamId ?? "");
  } catch {
    skipped.count++;
    return undefined;
  }
}

/** The file without its comments. */
function archiveHead(
  info: ChatArchiveInfo,
  scan: JournalScan,
  timeline: DeliveredTimeline,
): ChatArchive {
  const startMs = timeline.startMs;
  const length = roundMillis(timeline.totalSeconds);
  return {
    streamer: { name: info.user, id: Number(scan.roomId) || 0 },
    video: {
      title: scan.title,
      id: info.streamId ?? "",
      created_at: startMs !== undefined ? new Date(startMs).toISOString() : info.startedAt,
      start: 0,
      end: length,
      length,
    },
    comments: [],
  };
}

/** What the first pass learns: the room id, the title and who was deleted up to where. */
interface JournalScan {
  readonly roomId: string;
  readonly title: string;
  /** Whether moderation after journal position `at` removed `comment`. */
  deletes(comment: ChatComment, at: number): boolean;
}

async function scanJournal(journal: string): Promise<JournalScan> {
  const messages = new Map<string, number>();
  const users = new Map<string, number>();
  let everyone = -1;
  let roomId = "";
  let title = "";
  let index = 0;
  for await (const entry of journalEntries(journal)) {
    const at = index++;
    if (entry.k === "meta" && entry.title) title = entry.title;
    if (entry.k !== "irc" || (roomId && !/ CLEAR(MSG|CHAT) /.test(entry.line))) continue;
    const message = parseIrcMessage(entry.line);
    roomId ||= message?.tags["room-id"] ?? "";
    if (message?.command === "CLEARMSG") {
      messages.set(message.tags["target-msg-id"] ?? "", at);
    } else if (message?.command === "CLEARCHAT") {
      const login = message.params[1]?.toLowerCase();
      if (login) users.set(login, at);
      else everyone = at;
    }
  }
  return {
    roomId,
    title,
    deletes: (comment, at) =>
      (messages.get(comment._id) ?? -1) > at || (users.get(comment.commenter.name) ?? -1) > at ||
      everyone > at,
  };
}

/** Comments waiting for their turn, sorted by offset (arrival order among equals). */
class CommentOrder {
  #waiting: ChatComment[] = [];
  /** Where the waiting start in `#waiting` (taking from the front does not move the rest). */
  #head = 0;

  add(comment: ChatComment): void {
    const offset = comment.content_offset_seconds;
    let low = this.#head;
    let high = this.#waiting.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.#waiting[mid]!.content_offset_seconds <= offset) low = mid + 1;
      else high = mid;
    }
    if (low === this.#waiting.length) this.#waiting.push(comment);
    else this.#waiting.splice(low, 0, comment);
  }

  /** The comments no later message can precede: up to `offset` seconds, all when undefined. */
  takeUpTo(offset: number | undefined): ChatComment[] {
    const limit = offset === undefined ? Infinity : roundMillis(offset);
    let end = this.#head;
    while (end < this.#waiting.length && this.#waiting[end]!.content_offset_seconds <= limit) end++;
    if (end === this.#head) return [];
    const ready = this.#waiting.slice(this.#head, end);
    this.#head = end;
    if (this.#head > 1024 && this.#head * 2 > this.#waiting.length) {
      this.#waiting = this.#waiting.slice(this.#head);
      this.#head = 0;
    }
    return ready;
  }
}

/** Text out in 64 KiB writes. */
class TextWriter {
  #pending: string[] = [];
  #size = 0;
  #encoder = new TextEncoder();

  constructor(private readonly write: (bytes: Uint8Array) => Promise<void>) {}

  async text(text: string): Promise<void> {
    this.#pending.push(text);
    this.#size += text.length;
    if (this.#size >= 64 * 1024) await this.flush();
  }

  async flush(): Promise<void> {
    const text = this.#pending.join("");
    [this.#pending, this.#size] = [[], 0];
    if (text) await this.write(this.#encoder.encode(text));
  }
}
