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

/** Every complete entry of a journal (none when it does not exist); torn lines are skipped. */
export async function readJournal(path: string): Promise<JournalEntry[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  const entries: JournalEntry[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      const value = JSON.parse(line) as JournalEntry;
      if (value && typeof value.w === "number" && typeof value.k === "string") entries.push(value);
    } catch {
      // A line cut short by a crash: everything before it is intact.
    }
  }
  return entries;
}
