/**
 * The chat of a recording in progress, append-only in the session folder
 * (`<temp>/<base>.chat.jsonl`, one JSON object a line). Lines are buffered and written with
 * an fdatasync about every second, so a kill -9 loses at most the last second or two of chat;
 * a torn last line is skipped when the journal is read. `recover` and an adopting poller fold
 * whatever a dead process left, exactly like the parts.
 */
import { join } from "node:path";
import { getLogger } from "@logtape/logtape";
import type { Clock } from "../util/clock.ts";
import { isJsonObject } from "../util/is_json_object.ts";

const log = getLogger(["twitchtool", "chat"]);

/** One journal line. `w` is the wall-clock time (ms since the epoch) it was seen. */
export type JournalEntry =
  /** A raw IRC line that matters for the archive (PRIVMSG, USERNOTICE, CLEARCHAT...). */
  | { readonly k: "irc"; readonly w: number; readonly line: string }
  /** A streamlink started writing `part`. */
  | { readonly k: "part"; readonly w: number; readonly part: string }
  /** `part` held `d` seconds of media at time `w`: ties wall-clock time to the file. */
  | { readonly k: "sample"; readonly w: number; readonly part: string; readonly d: number }
  /** Chat capture was on from `w` (a journal without it only places title/game chapters). */
  | { readonly k: "chat"; readonly w: number }
  /** The broadcast's title or game as seen at `w` (from Twitch's API). */
  | { readonly k: "meta"; readonly w: number; readonly title?: string; readonly game?: string };

/** `<tempDir>/<base>.chat.jsonl`. */
export function chatJournalPath(tempDir: string, base: string): string {
  return join(tempDir, `${base}.chat.jsonl`);
}

/** How often buffered lines are written and synced. */
export const JOURNAL_FLUSH_MS = 1000;

/** An open journal: `append` is cheap (buffered); `close` writes what is left. */
export class ChatJournal {
  #file: Deno.FsFile;
  #buffer: string[] = [];
  #closed = false;
  #flushing: Promise<void> = Promise.resolve();
  #stop = new AbortController();
  #loop: Promise<void>;

  private constructor(file: Deno.FsFile, clock: Clock, flushMs: number) {
    this.#file = file;
    this.#loop = (async () => {
      while (!this.#stop.signal.aborted) {
        await clock.sleep(flushMs, this.#stop.signal);
        // A failed write (disk full) is logged; the next flush tries again with what came since.
        await this.flush().catch((error) =>
          log.error("Cannot write the chat journal: {error}", { error: (error as Error).message })
        );
      }
    })();
  }

  /** Opens (creating, or appending to a dead process's journal) `path`, mode 0600. */
  static async open(path: string, clock: Clock, flushMs = JOURNAL_FLUSH_MS): Promise<ChatJournal> {
    const file = await Deno.open(path, { append: true, create: true, mode: 0o600 });
    const journal = new ChatJournal(file, clock, flushMs);
    // A dead writer's torn last line is ended, so the next entry starts on a line of its own.
    if (!(await endsWithNewline(path))) journal.#buffer.push("\n");
    return journal;
  }

  /** Queues one entry for the next flush. */
  append(entry: JournalEntry): void {
    if (!this.#closed) this.#buffer.push(JSON.stringify(entry) + "\n");
  }

  /** Writes and syncs buffered entries (serialized: flushes never interleave). */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.catch(() => {}).then(async () => {
      if (this.#buffer.length === 0) return;
      const text = this.#buffer.join("");
      this.#buffer = [];
      const bytes = new TextEncoder().encode(text);
      for (let done = 0; done < bytes.length;) {
        done += await this.#file.write(bytes.subarray(done));
      }
      await this.#file.syncData();
    });
    return this.#flushing;
  }

  /** Flushes and closes; appends after this are dropped. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#stop.abort();
    await this.#loop;
    this.#closed = true;
    try {
      await this.flush();
    } finally {
      this.#file.close();
    }
  }
}

async function endsWithNewline(path: string): Promise<boolean> {
  const file = await Deno.open(path, { read: true });
  try {
    const size = (await file.stat()).size;
    if (size === 0) return true;
    await file.seek(size - 1, Deno.SeekMode.Start);
    const last = new Uint8Array(1);
    await file.read(last);
    return last[0] === 0x0a;
  } finally {
    file.close();
  }
}

/**
 * Journal lines longer than this are skipped when read: a chat line is at most
 * `MAX_IRC_LINE_CHARS` (16 Ki characters), which JSON escaping may make a few times longer in
 * bytes. Reading never holds more than one line of this size.
 */
export const MAX_JOURNAL_LINE_BYTES = 256 * 1024;

/** Lines a read skipped: cut short by a crash, malformed, or over the size limit. */
export interface SkippedLines {
  count: number;
}

/**
 * Every complete, well-formed entry of a journal in order, read line by line so memory does not
 * grow with the journal (none when it does not exist). A line torn by a crash, one that is not
 * a journal entry (a time that is not a date included) and one over
 * {@link MAX_JOURNAL_LINE_BYTES} are skipped and counted in `skipped`.
 */
export async function* journalEntries(
  path: string,
  skipped: SkippedLines = { count: 0 },
): AsyncGenerator<JournalEntry> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  const decoder = new TextDecoder();
  try {
    for await (const line of fileLines(file, MAX_JOURNAL_LINE_BYTES, skipped)) {
      const text = decoder.decode(line);
      if (!text.trim()) continue;
      const entry = parseEntry(text);
      if (entry) yield entry;
      else skipped.count++;
    }
  } finally {
    file.close();
  }
}

/** Every entry of a journal in memory; for small journals and tests (see {@link journalEntries}). */
export async function readJournal(path: string): Promise<JournalEntry[]> {
  const entries: JournalEntry[] = [];
  for await (const entry of journalEntries(path)) entries.push(entry);
  return entries;
}

/** The lines of `file` without their newline; longer ones are skipped without being held. */
async function* fileLines(
  file: Deno.FsFile,
  maxBytes: number,
  skipped: SkippedLines,
): AsyncGenerator<Uint8Array> {
  const chunk = new Uint8Array(256 * 1024);
  let pieces: Uint8Array[] = [];
  let size = 0;
  let tooLong = false;
  for (let read = await file.read(chunk); read !== null; read = await file.read(chunk)) {
    const view = chunk.subarray(0, read);
    for (let start = 0; start < view.length;) {
      const newline = view.indexOf(0x0a, start);
      const piece = view.subarray(start, newline < 0 ? view.length : newline);
      size += piece.length;
      if (!tooLong && size > maxBytes) [tooLong, pieces] = [true, []];
      if (!tooLong) pieces.push(piece.slice());
      if (newline < 0) break;
      if (tooLong) skipped.count++;
      else yield joinBytes(pieces, size);
      [pieces, size, tooLong, start] = [[], 0, false, newline + 1];
    }
  }
  if (tooLong) skipped.count++;
  else if (size > 0) yield joinBytes(pieces, size);
}

function joinBytes(pieces: readonly Uint8Array[], size: number): Uint8Array {
  if (pieces.length === 1) return pieces[0]!;
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const piece of pieces) {
    bytes.set(piece, at);
    at += piece.length;
  }
  return bytes;
}

/** The largest time a `Date` holds, ms either side of the epoch. */
const MAX_DATE_MS = 8.64e15;

/** Whether `ms` is a time `new Date(ms).toISOString()` can write. */
export function isDateTime(ms: unknown): ms is number {
  return typeof ms === "number" && Number.isFinite(ms) && Math.abs(ms) <= MAX_DATE_MS;
}

/** One journal line as an entry, or undefined when it is torn or not one (wrong fields). */
function parseEntry(text: string): JournalEntry | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined; // A line cut short by a crash: everything before it is intact.
  }
  if (!isJsonObject(value) || !isDateTime(value.w)) return undefined;
  const text_ = (key: string) => typeof value[key] === "string";
  const optional = (key: string) => value[key] === undefined || text_(key);
  const fits = value.k === "irc"
    ? text_("line")
    : value.k === "part"
    ? text_("part")
    : value.k === "sample"
    ? text_("part") && typeof value.d === "number" && Number.isFinite(value.d)
    : value.k === "meta"
    ? optional("title") && optional("game")
    : value.k === "chat";
  return fits ? value as unknown as JournalEntry : undefined;
}
