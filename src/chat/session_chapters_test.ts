import assert from "node:assert/strict";
import type { JournalEntry } from "./chat_journal.ts";
import { DeliveredTimeline } from "./delivered_timeline.ts";
import { chaptersOf, ffmetadata, metaHistory } from "./session_chapters.ts";

const T0 = 1_700_000_000_000;

Deno.test("chaptersOf() starts a chapter per change, the first at 0; repeats are no change", () => {
  const entries: JournalEntry[] = [
    { k: "sample", w: T0 + 10_000, part: "p1", d: 10 },
    { k: "meta", w: T0 + 2000, title: "Intro", game: "Just Chatting" },
    { k: "meta", w: T0 + 20_000, title: "Intro", game: "Just Chatting" },
    { k: "meta", w: T0 + 30_000, game: "Chess" },
    { k: "meta", w: T0 + 90_000, title: "after the end" },
  ];
  const timeline = new DeliveredTimeline([{ path: "p1", range: { start: 0, end: 60 } }], entries);
  const history = metaHistory(entries, timeline);
  assert.deepEqual(history.map((h) => [h.title, h.game, h.offset_seconds]), [
    ["Intro", "Just Chatting", 2],
    ["Intro", "Chess", 30],
    ["after the end", "Chess", null],
  ]);
  assert.deepEqual(chaptersOf(history, 60), [
    { start: 0, end: 30, title: "Intro (Just Chatting)" },
    { start: 30, end: 60, title: "Intro (Chess)" },
  ]);
});

Deno.test("ffmetadata() escapes the characters ffmetadata reserves", () => {
  const text = ffmetadata([{ start: 0, end: 1.5, title: "a=b; #1 \\ ok" }]);
  assert.equal(
    text,
    ";FFMETADATA1\ntitle=a\\=b\\; \\#1 \\\\ ok\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=1500\n" +
      "title=a\\=b\\; \\#1 \\\\ ok\n",
  );
});
