/**
 * The chat client against the fake Twitch chat on loopback: joins anonymously, answers PING,
 * comes back after RECONNECT and after a dropped connection, and hands over every message.
 */
import { eventually } from "../testing/eventually.ts";
import assert from "node:assert/strict";
import { runChatClient } from "../src/chat/chat_client.ts";
import { parseIrcMessage } from "../src/chat/irc_message.ts";
import { systemClock } from "../src/util/clock.ts";
import { startChatServer } from "../testing/chat_server.ts";

Deno.test("runChatClient() joins, answers PING, and reconnects after RECONNECT and a drop", async () => {
  const chat = startChatServer();
  const stop = new AbortController();
  const lines: string[] = [];
  const seen = (id: string) => lines.some((line) => parseIrcMessage(line)?.tags.id === id);
  const client = runChatClient({
    url: chat.url,
    channel: "alice",
    clock: systemClock,
    onLine: (line) => lines.push(line),
    backoff: { firstMs: 200, maxMs: 1000 },
  }, stop.signal);
  try {
    await chat.joined("alice");
    const first = chat.say("alice", "bob", "hello");
    chat.ping();
    await eventually("PONG", () => Promise.resolve(chat.pongs >= 1 || undefined));
    chat.reconnect();
    await eventually("second connection", async () => {
      if (chat.connections < 2) return undefined;
      await chat.joined("alice");
      return true;
    });
    const second = chat.say("alice", "carol", "after reconnect");
    await eventually("second message", () => Promise.resolve(seen(second.id) || undefined));
    chat.drop();
    await eventually("third connection", async () => {
      if (chat.connections < 3) return undefined;
      await chat.joined("alice");
      return true;
    });
    const third = chat.say("alice", "dave", "after drop");
    await eventually("third message", () => Promise.resolve(seen(third.id) || undefined));
    const ids = lines.map((line) => parseIrcMessage(line)?.tags.id).filter(Boolean);
    assert.deepEqual(ids, [first.id, second.id, third.id]);
    assert.ok(lines.some((line) => / ROOMSTATE /.test(line)), "ROOMSTATE kept for the room id");
  } finally {
    stop.abort();
    await client;
    await chat.close();
  }
});

Deno.test("runChatClient() backs off when the server keeps asking to reconnect", async () => {
  const chat = startChatServer({ reconnectOnJoin: true });
  const stop = new AbortController();
  const client = runChatClient({
    url: chat.url,
    channel: "storm",
    clock: systemClock,
    onLine: () => {},
    backoff: { firstMs: 500, maxMs: 4000 },
  }, stop.signal);
  try {
    await eventually("a second connection", () => chat.connections >= 2 || undefined, 10_000);
    // Reconnecting at once would connect hundreds of times in these seconds; backing off from
    // 0.5 s, at most 0.5 + 1 + 2 s of waits fit (4 connections), fewer on a slow machine.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    assert.ok(chat.connections <= 5, `${chat.connections} connections in about 4 s`);
  } finally {
    stop.abort();
    await client;
    await chat.close();
  }
});
