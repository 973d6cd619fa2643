/**
 * A fake Twitch chat for end-to-end tests: IRC over WebSocket on 127.0.0.1, speaking the parts
 * of Twitch's dialect twitchtool uses (CAP, NICK, JOIN, tags on PRIVMSG, PING/PONG, RECONNECT,
 * CLEARMSG, a connection dropped without a close frame). The test sends scripted messages with
 * {@link ChatServer.say}; each gets a unique id and `tmi-sent-ts`, so the test can find it in
 * the `.chat.json`.
 */

/** A running fake chat. */
export interface ChatServer {
  /** `ws://127.0.0.1:PORT`: what `[chat] url` takes. */
  readonly url: string;
  /** Connections accepted so far. */
  readonly connections: number;
  /** PONGs received (answers to {@link ping}). */
  readonly pongs: number;
  /** Waits until a client has joined `#channel`. */
  joined(channel: string, timeoutMs?: number): Promise<void>;
  /** Sends a chat message from `login` to `#channel`; returns its id and when it was sent. */
  say(channel: string, login: string, text: string, tags?: Record<string, string>): {
    id: string;
    sentAt: number;
  };
  /** Sends a raw line to every joined client. */
  raw(line: string): void;
  /** PING every client. */
  ping(): void;
  /** Tells clients to reconnect, as Twitch does before maintenance. */
  reconnect(): void;
  /** Closes every socket at once (no RECONNECT first): a dropped connection. */
  drop(): void;
  close(): Promise<void>;
}

interface Client {
  readonly socket: WebSocket;
  channels: Set<string>;
}

/** How the fake chat misbehaves. */
export interface ChatServerOptions {
  /** Answer every JOIN with RECONNECT: a server in a maintenance loop (a reconnect storm). */
  readonly reconnectOnJoin?: boolean;
}

/** Starts the fake chat on a random loopback port. */
export function startChatServer(options: ChatServerOptions = {}): ChatServer {
  const clients = new Set<Client>();
  let connections = 0;
  let pongs = 0;
  let counter = 0;
  const waiters: (() => void)[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    if (request.headers.get("upgrade") !== "websocket") {
      return new Response("websocket only\n", { status: 400 });
    }
    const { socket, response } = Deno.upgradeWebSocket(request);
    const client: Client = { socket, channels: new Set() };
    connections++;
    socket.onopen = () => clients.add(client);
    socket.onclose = () => clients.delete(client);
    socket.onerror = () => clients.delete(client);
    socket.onmessage = (event) => {
      for (const line of String(event.data).split("\r\n")) {
        const [command, ...args] = line.split(" ");
        if (command === "NICK") {
          socket.send(`:tmi.twitch.tv 001 ${args[0]} :Welcome, GLHF!\r\n`);
        } else if (command === "CAP") {
          socket.send(`:tmi.twitch.tv CAP * ACK :twitch.tv/tags twitch.tv/commands\r\n`);
        } else if (command === "JOIN" && args[0]) {
          client.channels.add(args[0].toLowerCase());
          socket.send(`:justinfan!justinfan@justinfan.tmi.twitch.tv JOIN ${args[0]}\r\n`);
          socket.send(`@room-id=4242;emote-only=0 :tmi.twitch.tv ROOMSTATE ${args[0]}\r\n`);
          waiters.splice(0).forEach((wake) => wake());
          if (options.reconnectOnJoin) socket.send(":tmi.twitch.tv RECONNECT\r\n");
        } else if (command === "PONG") {
          pongs++;
        }
      }
    };
    return response;
  });
  const port = server.addr.port;
  const send = (channel: string | undefined, line: string) => {
    for (const client of clients) {
      if (channel && !client.channels.has(channel)) continue;
      if (client.socket.readyState === WebSocket.OPEN) client.socket.send(`${line}\r\n`);
    }
  };
  const isJoined = (channel: string) =>
    [...clients].some((c) => c.channels.has(channel) && c.socket.readyState === WebSocket.OPEN);
  return {
    url: `ws://127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    get pongs() {
      return pongs;
    },
    async joined(channel, timeoutMs = 60_000) {
      const name = `#${channel}`;
      const deadline = Date.now() + timeoutMs;
      while (!isJoined(name)) {
        if (Date.now() > deadline) throw new Error(`Nobody joined ${name}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
    },
    say(channel, login, text, tags = {}) {
      const id = `msg-${++counter}-${crypto.randomUUID()}`;
      const sentAt = Date.now();
      const all: Record<string, string> = {
        "badge-info": "",
        badges: "",
        color: "",
        "display-name": login,
        emotes: "",
        id,
        "room-id": "4242",
        "tmi-sent-ts": String(sentAt),
        "user-id": String(1000 + counter),
        ...tags,
      };
      const tagText = Object.entries(all).map(([k, v]) => `${k}=${v.replace(/ /g, "\\s")}`)
        .join(";");
      send(
        `#${channel}`,
        `@${tagText} :${login}!${login}@${login}.tmi.twitch.tv PRIVMSG #${channel} :${text}`,
      );
      return { id, sentAt };
    },
    raw(line) {
      send(undefined, line);
    },
    ping() {
      send(undefined, "PING :tmi.twitch.tv");
    },
    reconnect() {
      send(undefined, ":tmi.twitch.tv RECONNECT");
    },
    drop() {
      for (const client of clients) {
        // Deno has no abortive close; a close with an unusual code and no RECONNECT is the
        // nearest thing a server can do (the client sees an unexpected end).
        client.socket.close(4000, "dropped");
      }
    },
    async close() {
      for (const client of clients) client.socket.close();
      await server.shutdown();
    },
  };
}
