/**
 * Reads a channel's chat anonymously, the way Twitch's own read-only clients do: IRC over a
 * WebSocket, nick `justinfan<digits>` (no account, no token), the tags and commands
 * capabilities (badges, colours, emotes, ids; CLEARCHAT/CLEARMSG/USERNOTICE). It answers PING,
 * and reconnects when Twitch says RECONNECT or the socket drops, backing off while connecting
 * keeps failing. Every line worth archiving goes to `onLine` with the time it arrived; the
 * caller journals it. Nothing here can throw into the recording: the loop only ends on abort.
 */
import { getLogger } from "@logtape/logtape";
import type { Clock } from "../util/clock.ts";
import { parseIrcMessage } from "./irc_message.ts";

const log = getLogger(["twitchtool", "chat"]);

/** Commands kept in the archive; the rest (JOIN, numerics, PING...) is protocol. */
export const ARCHIVED_COMMANDS = new Set([
  "PRIVMSG",
  "USERNOTICE",
  "CLEARCHAT",
  "CLEARMSG",
  "ROOMSTATE",
]);

/**
 * Back-off between connections: doubling from `firstMs` up to `maxMs`, and starting over only
 * after a connection that stayed up `stableMs` (a server that welcomes, then drops or asks to
 * reconnect at once, must not be reconnected to in a loop).
 */
export interface ChatBackoff {
  readonly firstMs: number;
  readonly maxMs: number;
  readonly stableMs?: number;
}

/** What the client needs. */
export interface ChatClientOptions {
  /** `wss://irc-ws.chat.twitch.tv:443`, or a local test server. */
  readonly url: string;
  /** Channel login, lower case, without `#`. */
  readonly channel: string;
  readonly clock: Clock;
  /** An archived line and when it arrived (ms since the epoch). */
  readonly onLine: (line: string, receivedAt: number) => void;
  readonly backoff?: ChatBackoff;
  /** Opens the socket; `new WebSocket(url)` by default. */
  readonly connect?: (url: string) => WebSocket;
}

const DEFAULT_BACKOFF: ChatBackoff = { firstMs: 1000, maxMs: 30_000 };

/** A connection up this long was a good one: the back-off starts over after it. */
const STABLE_MS = 60_000;

/**
 * Twitch PINGs about every five minutes: a connection silent for longer is dead even if no
 * close ever arrived (a vanished route), and is dropped to reconnect.
 */
const SILENCE_MS = 6 * 60_000;

/**
 * Longer IRC lines are not Twitch's (its limit is 8 KiB of tags and 512 bytes of message):
 * they are neither parsed nor journaled, so one absurd line cannot bloat the journal.
 */
export const MAX_IRC_LINE_CHARS = 16_384;

/**
 * Runs until `signal` aborts, connected as much as Twitch allows. Every reconnect waits,
 * RECONNECT included: Twitch sends it before maintenance, when a second's wait loses nothing
 * that an instant reconnect would keep, and a server repeating it must not get a storm.
 */
export async function runChatClient(
  options: ChatClientOptions,
  signal: AbortSignal,
): Promise<void> {
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  let delay = backoff.firstMs;
  while (!signal.aborted) {
    const openedAt = options.clock.now();
    let outcome: ConnectionOutcome;
    try {
      outcome = await connectOnce(options, signal);
    } catch (error) {
      outcome = { welcomed: false, why: (error as Error).message };
    }
    if (signal.aborted) return;
    const stable = outcome.welcomed &&
      options.clock.now() - openedAt >= (backoff.stableMs ?? STABLE_MS);
    if (stable) delay = backoff.firstMs;
    log.info("Chat of {channel} disconnected ({why}); reconnecting in {seconds} s", {
      channel: options.channel,
      why: outcome.why,
      seconds: delay / 1000,
    });
    await options.clock.sleep(delay, signal);
    delay = Math.min(delay * 2, backoff.maxMs);
  }
}

interface ConnectionOutcome {
  /** The server accepted us (001). */
  readonly welcomed: boolean;
  readonly why: string;
}

/** One connection, from open to close (or abort). */
function connectOnce(options: ChatClientOptions, signal: AbortSignal): Promise<ConnectionOutcome> {
  const socket = (options.connect ?? ((url) => new WebSocket(url)))(options.url);
  let welcomed = false;
  let lastHeard = options.clock.now();
  let why = "closed";
  const closed = new AbortController();
  const watchdog = (async () => {
    while (!closed.signal.aborted) {
      await options.clock.sleep(30_000, closed.signal);
      if (!closed.signal.aborted && options.clock.now() - lastHeard > SILENCE_MS) {
        why = "nothing heard for 6 minutes";
        socket.close(4000);
        return;
      }
    }
  })();
  return new Promise((resolve) => {
    const onAbort = () => socket.close(1000);
    signal.addEventListener("abort", onAbort, { once: true });
    socket.onopen = () => {
      socket.send("CAP REQ :twitch.tv/tags twitch.tv/commands");
      socket.send("PASS SCHMOOPIIE");
      socket.send(`NICK justinfan${10_000 + Math.floor(Math.random() * 89_999)}`);
      socket.send(`JOIN #${options.channel}`);
    };
    socket.onmessage = (event) => {
      const receivedAt = options.clock.now();
      lastHeard = receivedAt;
      for (const line of String(event.data).split("\r\n")) {
        if (line.length > MAX_IRC_LINE_CHARS) {
          log.warn("Skipped a chat line of {chars} characters", { chars: line.length });
          continue;
        }
        const message = parseIrcMessage(line);
        if (!message) continue;
        if (message.command === "PING") {
          socket.send(`PONG :${message.params.at(-1) ?? "tmi.twitch.tv"}`);
        } else if (message.command === "001") {
          welcomed = true;
        } else if (message.command === "JOIN") {
          log.info("Joined the chat of {channel}", { channel: options.channel });
        } else if (message.command === "RECONNECT") {
          why = "the server asked to reconnect";
          socket.close(1000);
        } else if (ARCHIVED_COMMANDS.has(message.command)) {
          options.onLine(line, receivedAt);
        }
      }
    };
    socket.onerror = (event) => {
      why = (event as ErrorEvent).message || "socket error";
    };
    socket.onclose = (event) => {
      signal.removeEventListener("abort", onAbort);
      closed.abort();
      void watchdog;
      if (why === "closed" && event.code !== 1000) why = `closed with code ${event.code}`;
      resolve({ welcomed, why });
    };
  });
}
