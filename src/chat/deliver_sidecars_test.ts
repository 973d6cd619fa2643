import assert from "node:assert/strict";
import { join } from "node:path";
import { chatJournalPath } from "./chat_journal.ts";
import { deliverSidecars } from "./deliver_sidecars.ts";

const T0 = 1_700_000_000_000;
const COUNT = 100_000;

function privmsg(i: number, w: number, extra = ""): string {
  return `@badges=subscriber/12;color=#1E90FF;display-name=V${i % 500};emotes=25:0-4;` +
    `id=m${i};room-id=77;tmi-sent-ts=${w - 200};user-id=${i % 500}${extra} ` +
    `:v${i % 500}!v${i % 500}@v.tmi.twitch.tv PRIVMSG #chan :Kappa message number ${i}`;
}

/**
 * A long chat (one message every 10 ms for 1000 s of one part), with moderation, one line of
 * 10 MB and one with an absurd `tmi-sent-ts`, written the way the journal writes it.
 */
async function writeLongJournal(path: string, part: string): Promise<void> {
  const file = await Deno.open(path, { write: true, create: true });
  const encoder = new TextEncoder();
  const lines: string[] = [];
  const put = async (entry: unknown) => {
    lines.push(JSON.stringify(entry) + "\n");
    if (lines.length >= 5000) await file.write(encoder.encode(lines.splice(0).join("")));
  };
  await put({ k: "chat", w: T0 });
  await put({ k: "part", w: T0, part });
  for (let i = 0; i < COUNT; i++) {
    const w = T0 + 1000 + i * 10;
    if (i % 200 === 0) await put({ k: "sample", w, part, d: (w - T0) / 1000 });
    await put({ k: "irc", w, line: privmsg(i, w) });
    if (i === 500) {
      await put({
        k: "irc",
        w,
        line: `@room-id=77;target-msg-id=m10 :tmi.twitch.tv CLEARMSG #chan :x`,
      });
      await put({ k: "irc", w, line: privmsg(COUNT, w, ";x=" + "y".repeat(10_000_000)) });
    }
    if (i === 600) {
      await put({
        k: "irc",
        w,
        line: privmsg(COUNT + 1, w).replace(/tmi-sent-ts=\d+/, "tmi-sent-ts=99999999999999999999"),
      });
    }
  }
  await file.write(encoder.encode(lines.join("")));
  file.close();
}

Deno.test("deliverSidecars() folds a long journal: every comment in order, absurd lines skipped or clamped", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const part = join(dir, "chan_2026-01-01_00-00-00_part01.ts");
    await writeLongJournal(chatJournalPath(dir, "chan_2026-01-01_00-00-00"), part);
    const recording = join(dir, "chan_2026-01-01_00-00-00.mp4");
    const written = await deliverSidecars({
      user: "chan",
      base: "chan_2026-01-01_00-00-00",
      started_at: new Date(T0).toISOString(),
      parts: [part],
      delivered: [recording],
    }, dir);
    assert.equal(written?.comments, COUNT + 1, "every message, the 10 MB line left out");
    const archive = JSON.parse(await Deno.readTextFile(written.chat!));
    const comments = archive.comments as {
      _id: string;
      content_offset_seconds: number;
      created_at: string;
      state: string;
    }[];
    assert.equal(comments.length, COUNT + 1);
    for (let i = 1; i < comments.length; i++) {
      assert.ok(comments[i - 1]!.content_offset_seconds <= comments[i]!.content_offset_seconds);
    }
    const ids = comments.map((c) => c._id);
    assert.ok(!ids.includes(`m${COUNT}`), "the 10 MB line is skipped");
    const clamped = comments.find((c) => c._id === `m${COUNT + 1}`)!;
    assert.equal(clamped.created_at, new Date(T0 + 1000 + 600 * 10).toISOString());
    assert.deepEqual(comments.filter((c) => c.state === "deleted").map((c) => c._id), ["m10"]);
    assert.equal(comments[0]!.content_offset_seconds, 1 - 0.2);
    const info = JSON.parse(await Deno.readTextFile(written.info));
    assert.equal(info.chat_messages, COUNT + 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
