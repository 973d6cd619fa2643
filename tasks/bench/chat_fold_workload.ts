/**
 * Workload chat_fold: peak memory and time of folding a chat journal into `<name>.chat.json`
 * at finalize, for chats of growing length and for one with a single 10 MB line. Each fold
 * runs `deliverSidecars()` in a Deno process of its own (this file, run as a script), so its
 * peak RSS (`VmHWM`) is the fold's and nothing else's. The fold streams, so the peak should
 * stay flat as the chat grows (the 506 MB at 65k messages and 380 MB for one 10 MB line of
 * issue 23 were folds holding the whole journal and archive).
 */
import { join } from "node:path";
import { chatJournalPath } from "../../src/chat/chat_journal.ts";
import { deliverSidecars } from "../../src/chat/deliver_sidecars.ts";
import { peakRssBytes } from "../../testing/proc_stat.ts";
import { megabytes, ratio, round } from "./stats.ts";
import type { Measurement, Workload, WorkloadContext, WorkloadOutcome } from "./workload.ts";

const BASE = "benchchat_2026-01-01_00-00-00";
const T0 = 1_700_000_000_000;

/** The chat_fold workload (see the file comment). */
export const chatFoldWorkload: Workload = {
  name: "chat_fold",
  title: "Chat fold at finalize, peak memory by chat length",
  estimate: { full: "~1 min", quick: "~20 s" },
  run: runChatFold,
};

/** Writes a journal of `count` messages (100 a second) and, if asked, one line of 10 MB. */
async function writeJournal(dir: string, count: number, hugeLine: boolean): Promise<void> {
  const part = join(dir, `${BASE}_part01.ts`);
  const file = await Deno.open(chatJournalPath(dir, BASE), { write: true, create: true });
  const encoder = new TextEncoder();
  let lines = [{ k: "chat", w: T0 }, { k: "part", w: T0, part }].map((e) => JSON.stringify(e));
  const flush = async () => {
    await file.write(encoder.encode(lines.join("\n") + "\n"));
    lines = [];
  };
  for (let i = 0; i < count; i++) {
    const w = T0 + 1000 + i * 10;
    if (i % 200 === 0) lines.push(JSON.stringify({ k: "sample", w, part, d: (w - T0) / 1000 }));
    const text = hugeLine && i === 0 ? "x".repeat(10_000_000) : `Kappa message number ${i}`;
    const line = `@badges=subscriber/12;color=#1E90FF;display-name=V${i % 700};emotes=25:0-4;` +
      `id=m${i};room-id=77;tmi-sent-ts=${w - 150};user-id=${i % 700} ` +
      `:v${i % 700}!v${i % 700}@v.tmi.twitch.tv PRIVMSG #benchchat :${text}`;
    lines.push(JSON.stringify({ k: "irc", w, line }));
    if (lines.length >= 5000) await flush();
  }
  await flush();
  file.close();
}

/** Folds the journal in `dir` in a child process; its peak RSS and the fold's seconds. */
async function foldInChild(dir: string): Promise<{ peakBytes: number; seconds: number }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--quiet", import.meta.filename!, dir],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!output.success) throw new Error(`The fold in ${dir} failed`);
  return JSON.parse(new TextDecoder().decode(output.stdout));
}

async function runChatFold(context: WorkloadContext): Promise<WorkloadOutcome> {
  const sizes = context.quick ? [20_000, 80_000] : [65_000, 260_000];
  const runs: { label: string; count: number; huge: boolean }[] = [
    ...sizes.map((count) => ({ label: `${count} messages`, count, huge: false })),
    { label: "1000 messages, one of 10 MB", count: 1000, huge: true },
  ];
  const measurements: Measurement[] = [];
  const peaks: number[] = [];
  for (const run of runs) {
    context.signal.throwIfAborted();
    const dir = await Deno.makeTempDir({ dir: context.workDir });
    await writeJournal(dir, run.count, run.huge);
    const result = await context.during(`folding ${run.label}`, foldInChild(dir));
    await Deno.remove(dir, { recursive: true });
    peaks.push(result.peakBytes);
    measurements.push(
      {
        metric: `peak RSS, ${run.label}`,
        value: round(megabytes(result.peakBytes), 1),
        unit: "MB",
      },
      { metric: `fold time, ${run.label}`, value: round(result.seconds, 2), unit: "s" },
    );
  }
  measurements.push({
    metric: `peak RSS, ${sizes[1]} over ${sizes[0]} messages`,
    value: round(ratio(peaks[1]!, peaks[0]!), 2),
    unit: "x",
    note: "1.0 when memory does not grow with the chat",
  });
  return {
    measurements,
    notes: [
      "Each fold runs in its own Deno process; peak RSS includes Deno's own (about 40 MB).",
      "Issue 23 measured 506 MB for 65k messages and 380 MB for one 10 MB line before streaming.",
    ],
  };
}

/** As a script: folds the journal in the folder given, then prints its peak RSS and time. */
async function foldMain(dir: string): Promise<void> {
  const start = performance.now();
  await deliverSidecars({
    user: "benchchat",
    base: BASE,
    started_at: new Date(T0).toISOString(),
    parts: [join(dir, `${BASE}_part01.ts`)],
    delivered: [join(dir, `${BASE}.mp4`)],
  }, dir);
  const seconds = (performance.now() - start) / 1000;
  const peakBytes = await peakRssBytes(Deno.pid);
  console.log(JSON.stringify({ peakBytes, seconds }));
}

if (import.meta.main) await foldMain(Deno.args[0]!);
