import assert from "node:assert/strict";
import { join } from "node:path";
import { systemClock } from "../util/clock.ts";
import { ChatJournal, readJournal } from "./chat_journal.ts";

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
