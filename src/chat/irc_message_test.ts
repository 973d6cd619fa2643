import assert from "node:assert/strict";
import { nickOf, parseIrcMessage } from "./irc_message.ts";

Deno.test("parseIrcMessage() reads tags, prefix, command and a trailing parameter", () => {
  const message = parseIrcMessage(
    "@badge-info=;badges=moderator/1,subscriber/12;color=#1E90FF;display-name=Ana\\sB;" +
      "emotes=25:0-4;id=abc-1;tmi-sent-ts=1700000000000;user-id=42 " +
      ":ana!ana@ana.tmi.twitch.tv PRIVMSG #chan :Kappa hello :) there",
  );
  assert.ok(message);
  assert.equal(message.command, "PRIVMSG");
  assert.equal(nickOf(message.prefix), "ana");
  assert.deepEqual(message.params, ["#chan", "Kappa hello :) there"]);
  assert.equal(message.tags["display-name"], "Ana B");
  assert.equal(message.tags["badge-info"], "");
  assert.equal(message.tags.badges, "moderator/1,subscriber/12");
});

Deno.test("parseIrcMessage() handles PING, numerics and escapes; rejects empty lines", () => {
  assert.deepEqual(parseIrcMessage("PING :tmi.twitch.tv\r\n"), {
    tags: {},
    command: "PING",
    params: ["tmi.twitch.tv"],
  });
  const numeric = parseIrcMessage(":tmi.twitch.tv 001 justinfan1 :Welcome, GLHF!");
  assert.equal(numeric?.command, "001");
  assert.deepEqual(numeric?.params, ["justinfan1", "Welcome, GLHF!"]);
  const escaped = parseIrcMessage("@system-msg=a\\:b\\\\c\\sd :tmi.twitch.tv USERNOTICE #c");
  assert.equal(escaped?.tags["system-msg"], "a;b\\c d");
  assert.deepEqual(escaped?.params, ["#c"]);
  assert.equal(parseIrcMessage(""), undefined);
  assert.equal(parseIrcMessage("@only-tags"), undefined);
});
