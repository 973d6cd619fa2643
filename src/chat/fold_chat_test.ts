import assert from "node:assert/strict";
import { join } from "node:path";
import { type ChatArchive, fragmentsOf, parseEmotes } from "./chat_archive.ts";
import type { JournalEntry } from "./chat_journal.ts";
import { DeliveredTimeline } from "./delivered_timeline.ts";
import { foldChat } from "./fold_chat.ts";

const T0 = 1_700_000_000_000;

function privmsg(id: string, login: string, text: string, extra = ""): string {
  return `@badges=;color=;display-name=${login};emotes=;id=${id};room-id=77;user-id=9${extra} ` +
    `:${login}!${login}@${login}.tmi.twitch.tv PRIVMSG #chan :${text}`;
}

Deno.test("fragmentsOf() splits emotes by code points, surrogate pairs included", () => {
  const body = "😀 Kappa hi";
  assert.deepEqual(fragmentsOf(body, parseEmotes("25:2-6")), [
    { text: "😀 ", emoticon: null },
    { text: "Kappa", emoticon: { emoticon_id: "25", emoticon_set_id: "" } },
    { text: " hi", emoticon: null },
  ]);
  assert.deepEqual(fragmentsOf("", []), [{ text: "", emoticon: null }]);
});

/** Folds `entries` (written as a journal) on `timeline`; the file's text and its parsed value. */
async function fold(entries: readonly JournalEntry[], timeline: DeliveredTimeline) {
  const dir = await Deno.makeTempDir();
  try {
    const journal = join(dir, "j.chat.jsonl");
    await Deno.writeTextFile(journal, entries.map((e) => JSON.stringify(e) + "\n").join(""));
    const path = join(dir, "j.chat.json");
    const folded = await foldChat({ user: "chan", startedAt: "x" }, journal, timeline, path);
    const text = await Deno.readTextFile(path);
    return { folded, text, archive: JSON.parse(text) as ChatArchive };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("foldChat() flags moderation, keeps USERNOTICE, never writes an empty colour", async () => {
  const entries: JournalEntry[] = [
    { k: "sample", w: T0 + 5000, part: "p1", d: 5 },
    { k: "irc", w: T0 + 1000, line: privmsg("a", "ann", "first") },
    { k: "irc", w: T0 + 2000, line: privmsg("b", "bob", "spam") },
    { k: "irc", w: T0 + 2500, line: privmsg("c", "bob", "more spam") },
    {
      k: "irc",
      w: T0 + 3000,
      line: "@login=cat;msg-id=sub;system-msg=cat\\ssubscribed!;room-id=77;id=d;user-id=5;" +
        "display-name=Cat;color=#00FF00 :tmi.twitch.tv USERNOTICE #chan :hello all",
    },
    {
      k: "irc",
      w: T0 + 3500,
      line: "@room-id=77;target-msg-id=a :tmi.twitch.tv CLEARMSG #chan :x",
    },
    {
      k: "irc",
      w: T0 + 4000,
      line: "@room-id=77;target-user-id=9 :tmi.twitch.tv CLEARCHAT #chan :bob",
    },
    { k: "irc", w: T0 + 4500, line: privmsg("e", "bob", "after the timeout") },
  ];
  const timeline = new DeliveredTimeline([{ path: "p1", range: { start: 0, end: 10 } }], entries);
  const { archive, text } = await fold(entries, timeline);
  assert.equal(text, JSON.stringify(archive, null, 2) + "\n", "pretty JSON, as before");
  assert.deepEqual(archive.streamer, { name: "chan", id: 77 });
  assert.deepEqual(
    archive.comments.map((c) => [c._id, c.state, c.content_offset_seconds]),
    [["a", "deleted", 1], ["b", "deleted", 2], ["c", "deleted", 2.5], ["d", "published", 3], [
      "e",
      "published",
      4.5,
    ]],
  );
  const sub = archive.comments[3]!;
  assert.equal(sub.message.body, "cat subscribed! hello all");
  assert.deepEqual(sub.message.user_notice_params, { msg_id: "sub" });
  assert.deepEqual(sub.commenter, { display_name: "Cat", _id: "5", name: "cat" });
  assert.equal(sub.message.user_color, "#00FF00");
  assert.equal(archive.comments[0]!.message.user_color, null);
});

Deno.test("foldChat() sorts by place in the file when tmi-sent-ts reorders arrivals", async () => {
  const entries: JournalEntry[] = [{ k: "sample", w: T0 + 60_000, part: "p1", d: 60 }];
  // Arrival order a..f; sent up to 9.5 s before arrival, so the moments run c, f, a, b, d, e.
  const sentBefore = [3000, 0, 9000, 500, 100, 9500];
  sentBefore.forEach((before, i) => {
    const w = T0 + 10_000 + i * 1000;
    const line = privmsg("abcdef"[i]!, "ann", `m${i}`, `;tmi-sent-ts=${w - before}`);
    entries.push({ k: "irc", w, line });
  });
  const timeline = new DeliveredTimeline([{ path: "p1", range: { start: 0, end: 60 } }], entries);
  const { archive, folded } = await fold(entries, timeline);
  assert.deepEqual(archive.comments.map((c) => c._id), ["c", "f", "a", "b", "d", "e"]);
  assert.equal(folded.comments, 6);
  const none = await fold(entries.slice(0, 1), timeline);
  assert.deepEqual(none.archive.comments, []);
  assert.match(none.text, /"comments": \[\]\n}\n$/);
});
