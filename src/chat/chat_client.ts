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

/** Back-off between failed connections: doubling from `firstMs` up to `maxMs`. */
export interface ChatBackoff {
  readonly firstMs: number;
  readonly maxMs: number;
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

/**
 * Twitch PINGs about every five minutes: a connection silent for longer is dead even if no
 * close ever arrived (a vanished route), and is dropped to reconnect.
 */
const SILENCE_MS = 6 * 60_000;

/** Runs until `signal` aborts, connected as much as Twitch allows. */
export async function runChatClient(
  options: ChatClientOptions,
  signal: AbortSignal,
): Promise<void> {
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  let delay = backoff.firstMs;
  while (!signal.aborted) {
    let outcome: ConnectionOutcome;
    try {
      outcome = await connectOnce(options, signal);
    } catch (error) {
      outcome = { welcomed: false, reconnectAsked: false, why: (error as Error).message };
    }
    if (signal.aborted) return;
    if (outcome.welcomed) delay = backoff.firstMs;
    const wait = outcome.reconnectAsked ? 0 : delay;
    log.info("Chat of {channel} disconnected ({why}); reconnecting in {seconds} s", {
      channel: options.channel,
      why: outcome.why,
      seconds: wait / 1000,
    });
    await options.clock.sleep(wait, signal);
    if (!outcome.reconnectAsked && !outcome.welcomed) delay = Math.min(delay * 2, backoff.maxMs);
  }
}

interface ConnectionOutcome {
  /** The server accepted us (001): the back-off starts over. */
  readonly welcomed: boolean;
  /** Twitch sent RECONNECT: go again at once. */
  readonly reconnectAsked: boolean;
  readonly why: string;
}

/** One connection, from open to close (or abort). */
function connectOnce(options: ChatClientOptions, signal: AbortSignal): Promise<ConnectionOutcome> {
  const socket = (options.connect ?? ((url) => new WebSocket(url)))(options.url);
  let welcomed = false;
  let reconnectAsked = false;
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
        const message = parseIrcMessage(line);
        if (!message) continue;
        if (message.command === "PING") {
          socket.send(`PONG :${message.params.at(-1) ?? "tmi.twitch.tv"}`);
        } else if (message.command === "001") {
          welcomed = true;
        } else if (message.command === "JOIN") {
          log.info("Joined the chat of {channel}", { channel: options.channel });
        } else if (message.command === "RECONNECT") {
          reconnectAsked = true;
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
      resolve({ welcomed, reconnectAsked, why });
    };
  });
}
