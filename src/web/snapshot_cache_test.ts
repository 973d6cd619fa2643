import assert from "node:assert/strict";
import { samplePage } from "../../testing/page_fixture.ts";
import type { RecordingEntry } from "../state/recording_history.ts";
import { FakeClock } from "../../testing/fake_clock.ts";
import type { PageData } from "./page_data.ts";
import { SnapshotCache } from "./snapshot_cache.ts";

const T0 = Date.parse("2026-01-01T00:00:00Z");

function reading(recordings: { user: string; pid: number; started: number; bytes: number }[]) {
  const base = samplePage();
  const template = base.status.recordings[0]!;
  const views = recordings.map((r) => ({
    ...template,
    user: r.user,
    pid: r.pid,
    started_at: new Date(r.started).toISOString(),
    bytes: r.bytes,
  }));
  const state: Omit<PageData, "history" | "counters"> = {
    ...base,
    status: { ...base.status, recordings: views },
    details: views.map((v) => ({ user: v.user, pid: v.pid, parts: 1, bytes_per_second: null })),
  };
  return state;
}

/** A history entry of `file`, its start read from its name (as the history reads it). */
function entry(user: string, file: string): RecordingEntry {
  const [date, time] = file.replace(/\.mp4$/, "").split("_").slice(-2);
  return {
    user,
    started_at: new Date(`${date}T${time!.replaceAll("-", ":")}Z`).toISOString(),
    path: `/rec/${file}`,
    bytes: 1,
    duration_seconds: 1,
    encoded: false,
    compressed_path: null,
    compressed_bytes: null,
    coverage: null,
    chat_messages: null,
  };
}

Deno.test("SnapshotCache measures bitrates and counts bytes, finished and failed recordings across readings", async () => {
  const clock = new FakeClock(T0);
  let state = reading([]);
  let history: RecordingEntry[] = [entry("older", "older_2025-01-01_00-00-00.mp4")];
  const cache = new SnapshotCache({
    readState: () => Promise.resolve(state),
    readHistory: () => Promise.resolve(history),
  }, { clock, historyRefreshMs: 0 });

  clock.time = T0 + 2000;
  state = reading([
    { user: "alpha", pid: 10, started: T0 + 1000, bytes: 1000 }, // began after the cache
    { user: "beta", pid: 10, started: T0 - 3_600_000, bytes: 5000 }, // was running already
  ]);
  let page = await cache.refresh();
  assert.deepEqual(page.details.map((d) => d.bytes_per_second), [null, null]);
  assert.equal(page.counters.bytes_written, 1000, "alpha from zero, beta from here on");

  clock.time = T0 + 4000;
  state = reading([
    { user: "alpha", pid: 10, started: T0 + 1000, bytes: 3000 },
    { user: "beta", pid: 10, started: T0 - 3_600_000, bytes: 6000 },
  ]);
  page = await cache.refresh();
  assert.deepEqual(page.details.map((d) => d.bytes_per_second), [1000, 500]);
  assert.equal(page.counters.bytes_written, 4000);

  // alpha's file is delivered while it is still listed (finalizing): nothing counted yet.
  clock.time = T0 + 5000;
  history = [entry("alpha", "alpha_2026-01-01_00-00-01.mp4"), ...history];
  page = await cache.refresh();
  assert.deepEqual([page.counters.recordings_finished, page.counters.recordings_failed], [0, 0]);

  // Both end; only alpha left a file.
  clock.time = T0 + 6000;
  state = reading([]);
  page = await cache.refresh();
  assert.deepEqual(page.counters, {
    recordings_finished: 1,
    recordings_failed: 1,
    bytes_written: 4000,
  });
  assert.equal(page.history.length, 2);

  // A new recording of alpha in the same (hosting) process counts again.
  clock.time = T0 + 8000;
  state = reading([{ user: "alpha", pid: 10, started: T0 + 7000, bytes: 10 }]);
  await cache.refresh();
  clock.time = T0 + 10_000;
  state = reading([]);
  history = [entry("alpha", "alpha_2026-01-01_00-00-07.mp4"), ...history];
  page = await cache.refresh();
  assert.equal(page.counters.recordings_finished, 2);
  assert.equal(page.counters.bytes_written, 4010);
});
