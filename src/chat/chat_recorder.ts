/**
 * The journal of one recording: the sampler that ties wall-clock time to the part being
 * written (see `delivered_timeline.ts`), the broadcast's title/game changes (chapters), and,
 * with `[chat] enabled`, the anonymous chat client. Started beside the capture and stopped
 * when capturing ends; it never throws into the recording (a chat that cannot connect keeps
 * retrying, a journal that cannot be written is logged). `capture_session.ts` holds the two
 * hook points: `partStarted` and `stop`.
 */
import { getLogger } from "@logtape/logtape";
import type { Clock } from "../util/clock.ts";
import { GrowingMediaDuration } from "../util/media_duration.ts";
import { pathExists } from "../state/atomic_write.ts";
import { runChatClient } from "./chat_client.ts";
import { ChatJournal, chatJournalPath } from "./chat_journal.ts";
import { subscribeBroadcastMeta } from "./broadcast_meta.ts";

const log = getLogger(["twitchtool", "chat"]);

/** How often the growing part's media length is sampled. */
const SAMPLE_MS = 2000;

/** A sample whose file read took longer than this is dropped. */
const MAX_READ_MS = 250;

/** What a session's chat needs. */
export interface ChatRecorderOptions {
  readonly url: string;
  readonly channel: string;
  readonly tempDir: string;
  readonly base: string;
  readonly clock: Clock;
  /** Connect to the chat (else the journal holds samples and title/game only). */
  readonly chat: boolean;
}

/** A running chat capture. */
export class ChatRecorder {
  #journal: ChatJournal;
  #stop = new AbortController();
  #tasks: Promise<void>[];
  /** The part being written, measured as it grows. */
  #part: GrowingMediaDuration | undefined;
  #lastSeconds = 0;
  /** A part grew while this process watched: the journal is worth keeping. */
  #sawData = false;
  readonly #path: string;
  readonly #fresh: boolean;
  readonly #unsubscribe: () => void;

  private constructor(journal: ChatJournal, options: ChatRecorderOptions, fresh: boolean) {
    this.#journal = journal;
    this.#path = chatJournalPath(options.tempDir, options.base);
    this.#fresh = fresh;
    const { clock } = options;
    this.#tasks = [this.#sampleLoop(clock)];
    if (options.chat) {
      journal.append({ k: "chat", w: clock.now() });
      this.#tasks.push(runChatClient({
        url: options.url,
        channel: options.channel,
        clock,
        onLine: (line, w) => journal.append({ k: "irc", w, line }),
      }, this.#stop.signal));
    }
    this.#unsubscribe = subscribeBroadcastMeta(
      options.channel,
      (meta) => this.meta(clock.now(), meta.title, meta.game),
    );
  }

  /** Opens the journal (appending to one a dead process left) and connects. */
  static async start(options: ChatRecorderOptions): Promise<ChatRecorder | undefined> {
    try {
      const path = chatJournalPath(options.tempDir, options.base);
      const fresh = !(await pathExists(path));
      const journal = await ChatJournal.open(path, options.clock);
      if (options.chat) {
        log.info("Capturing the chat of {channel} from {url}", {
          channel: options.channel,
          url: options.url,
        });
      }
      return new ChatRecorder(journal, options, fresh);
    } catch (error) {
      log.error("Chat not captured: {error}", { error: (error as Error).message });
      return undefined;
    }
  }

  /** A streamlink started writing `part` at `w`: samples follow that file from now on. */
  partStarted(part: string, w: number): void {
    this.#part = new GrowingMediaDuration(part);
    this.#lastSeconds = 0;
    this.#journal.append({ k: "part", w, part });
  }

  /** The broadcast's title or game as the API reported it at `w`. */
  meta(w: number, title: string | undefined, game: string | undefined): void {
    this.#journal.append({
      k: "meta",
      w,
      ...(title !== undefined ? { title } : {}),
      ...(game !== undefined ? { game } : {}),
    });
  }

  /**
   * Disconnects and writes what is buffered. A journal this process started for a recording
   * that never received data is removed: nothing will be finalized to fold it into.
   */
  async stop(): Promise<void> {
    this.#unsubscribe();
    this.#stop.abort();
    await Promise.allSettled(this.#tasks);
    await this.#journal.close().catch((error) =>
      log.error("Cannot write the chat journal: {error}", { error: (error as Error).message })
    );
    if (this.#fresh && !this.#sawData) await Deno.remove(this.#path).catch(() => {});
  }

  async #sampleLoop(clock: Clock): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      await clock.sleep(SAMPLE_MS, signal);
      const part = this.#part;
      if (!part || signal.aborted) continue;
      const before = clock.now();
      const seconds = await part.sample();
      const after = clock.now();
      // Only growth says where the live edge is: a stalled or finished part says nothing.
      if (seconds === null || seconds <= this.#lastSeconds || part !== this.#part) continue;
      this.#lastSeconds = seconds;
      this.#sawData = true;
      // A slow read (a loaded machine) cannot say when the length was true: not a sample.
      if (after - before > MAX_READ_MS) continue;
      const w = Math.round((before + after) / 2);
      this.#journal.append({ k: "sample", w, part: part.path, d: seconds });
    }
  }
}
