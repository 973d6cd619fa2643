import assert from "node:assert/strict";
import { join } from "node:path";
import { startNotifySink } from "../../testing/notify_sink.ts";
import { MergeFailedError, NothingCapturedError } from "../errors.ts";
import { systemClock } from "../util/clock.ts";
import { Notifier } from "./notifier.ts";
import { drainNotifications, installNotifier } from "./notify.ts";
import { parseNotifyUrl } from "./notify_url.ts";
import { sessionNotifications } from "./session_events.ts";
import { NOTIFY_EVENTS } from "../config/schema.ts";

Deno.test("sessionNotifications notifies a fallback deliverable and a failure, and stays quiet when nothing came", async () => {
  await using sink = startNotifySink();
  const dir = await Deno.makeTempDir();
  installNotifier(
    new Notifier({
      targets: [parseNotifyUrl(`json://127.0.0.1:${sink.port}/hook`)],
      events: [...NOTIFY_EVENTS],
      giveUpAfterMs: 1000,
      clock: systemClock,
      send: { fetch, apprise: () => Promise.resolve(), timeoutMs: 2000 },
      stateDir: dir,
      role: "write",
    }),
  );
  try {
    const file = join(dir, "eve_2026-01-01_10-00-00.ts");
    await Deno.writeTextFile(file, "ts bytes");
    await sessionNotifications.finished("eve", {
      delivered: [file],
      duration: 12,
      parts: 3,
      fallbackReason: "no verified .mp4 could be made: boom",
    });
    sessionNotifications.failed("eve", new NothingCapturedError("nothing"));
    sessionNotifications.failed("eve", new MergeFailedError("merge broke"));
    await drainNotifications();
    // Deliveries run concurrently: order by what they carry, not by arrival.
    const events = sink.json("/hook").sort((a, b) => (a.file ? 0 : 1) - (b.file ? 0 : 1));
    assert.deepEqual(events.map((e) => [e.event, e.channel, e.file ?? null]), [
      ["recording_failed", "eve", file],
      ["recording_failed", "eve", null],
    ]);
    assert.match(String(events[0]!.reason), /non-MP4 deliverable: no verified \.mp4/);
    assert.equal(events[1]!.reason, "merge broke");
  } finally {
    installNotifier(undefined);
    await Deno.remove(dir, { recursive: true });
  }
});
