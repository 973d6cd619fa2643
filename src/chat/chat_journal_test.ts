import assert from "node:assert/strict";
import { join } from "node:path";
import { systemClock } from "../util/clock.ts";
import {
  ChatJournal,
  journalEntries,
  MAX_JOURNAL_LINE_BYTES,
  readJournal,
} from "./chat_journal.ts";

Deno.test("ChatJournal appends across opens; readJournal skips a line torn by a crash", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "j.chat.jsonl");
    const first = await ChatJournal.open(path, systemClock, 50);
    first.append({ k: "irc", w: 1, line: "a" });
    await first.close();
    await Deno.writeTextFile(path, '{"k":"irc","w":2,"li', { append: true });
    const second = await ChatJournal.open(path, systemClock, 50);
    second.append({ k: "irc", w: 3, line: "c" });
    await second.close();
    const entries = await readJournal(path);
    assert.deepEqual(entries.map((e) => e.w), [1, 3], "the torn line alone is lost");
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("journalEntries() skips over-long and malformed lines and counts them", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "j.chat.jsonl");
    const lines = [
      { k: "irc", w: 1, line: "a" },
      { k: "irc", w: 2, line: "x".repeat(MAX_JOURNAL_LINE_BYTES) },
      { k: "irc", w: 1e20, line: "not a date" },
      { k: "sample", w: 4, part: "p", d: "long" },
      { k: "irc", w: 5, line: "e" },
    ].map((entry) => JSON.stringify(entry));
    await Deno.writeTextFile(path, lines.join("\n") + "\n[1,2]\n" + '{"k":"irc","w":6,"line":"f"}');
    const skipped = { count: 0 };
    const entries = [];
    for await (const entry of journalEntries(path, skipped)) entries.push(entry);
    assert.deepEqual(entries.map((e) => e.w), [1, 5, 6], "the last line needs no newline");
    assert.equal(skipped.count, 4);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
