/** A fixed reading of the status page's data for unit tests of src/web/. */
import type { PageData } from "../src/web/page_data.ts";

/** A reading with two recordings, an encode at 42.5 % and a channel name needing escapes. */
export function samplePage(): PageData {
  const recording = (user: string, bytes: number) => ({
    slot: 1,
    user,
    pid: 10,
    started_at: "2026-01-01T00:00:00.000Z",
    state: "capturing",
    hosted: true,
    bytes,
    live_since: null,
    late_seconds: null,
    coverage: null,
    chat_messages: null,
  });
  return {
    generated_at: "2026-01-01T00:01:00.000Z",
    status: {
      recordings: [recording("alpha", 1000), recording('we"ird\\na\nme', 5)],
      record_limit: 6,
      poller: {
        running: true,
        pid: 10,
        started_at: null,
        last_poll: null,
        next_poll: null,
        live: ["alpha"],
        launched: [],
        skipped: [],
        last_error: null,
        detector: "gql",
        detector_error: null,
        config: null,
        renamed: [],
        status_unreadable: null,
      },
      encoder: {
        running: true,
        pid: 11,
        state: "paused",
        paused: true,
        config: null,
        status_unreadable: null,
        current_job: {
          job: "j",
          input: "in.mp4",
          output: "out.mp4",
          percent: 42.5,
          speed: 1.5,
          eta_seconds: 60,
          ffmpeg_pid: 12,
        },
      },
      queue: { pending: [], encoding: [], failed: [], invalid: [], too_young: [] },
      retention: {
        deleted_files: 0,
        deleted_bytes: 0,
        last_deleted_at: null,
        last_deleted: [],
        last_low_disk: null,
      },
      notifications: { waiting: 0, dropped: 0, last_dropped_at: null },
      uploads: {
        remote: "b2:archive",
        worker_running: true,
        state: "uploading",
        pending_files: 2,
        pending_bytes: 3_000_000_000,
        failed_total: 1,
        current: {
          local: "/videos/alice_2026-05-01_20-00-00.mp4",
          bytes: 1_200_000_000,
          total: 2_000_000_000,
          speed: 8_000_000,
        },
        pending: [],
      },
    },
    channels: [
      { user: "alpha", state: "recording", late_seconds: 3 },
      { user: "beta", state: "offline", late_seconds: null },
    ],
    details: [],
    disk: { path: "/r", free_bytes: 123456789, min_free_bytes: 1000 },
    poll: { cycles: 7, cycle_seconds: 0.25 },
    history: [],
    counters: { recordings_finished: 2, recordings_failed: 1, bytes_written: 4096 },
  };
}
