/**
 * `/metrics` in the Prometheus text exposition format (version 0.0.4): a `# HELP` and a
 * `# TYPE` line per metric family, counters named `_total`, label values escaped (`\\`, `"`,
 * newline). Built from the cached {@link PageData}, so scraping costs no file reads.
 */
import type { PageData } from "./page_data.ts";

/** The content type Prometheus expects for this format. */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

type Kind = "gauge" | "counter";
type Sample = readonly [labels: Readonly<Record<string, string>>, value: number];

/** One metric family. */
interface Family {
  readonly name: string;
  readonly kind: Kind;
  readonly help: string;
  readonly samples: readonly Sample[];
}

/** Renders every metric of `page`. */
export function renderMetrics(page: PageData): string {
  return metricFamilies(page).map(renderFamily).join("");
}

function metricFamilies(page: PageData): Family[] {
  return [
    ...recordingFamilies(page),
    ...daemonFamilies(page),
    ...uploadFamilies(page),
    ...counterFamilies(page),
  ];
}

/** The upload queue (docs/uploads.md). */
function uploadFamilies({ status }: PageData): Family[] {
  const uploads = status.uploads;
  return [
    gauge("twitchtool_upload_pending_files", "Files queued for upload, not yet verified", [
      [{}, uploads.pending_files],
    ]),
    gauge("twitchtool_upload_pending_bytes", "Bytes of the files queued for upload", [
      [{}, uploads.pending_bytes],
    ]),
    counter("twitchtool_uploads_failed_total", "Upload attempts that failed", [
      [{}, uploads.failed_total],
    ]),
  ];
}

const one = (value: number | null): Sample[] => value === null ? [] : [[{}, value]];

/** Recordings and channels. */
function recordingFamilies({ status, channels }: PageData): Family[] {
  const recordingUsers = new Set(status.recordings.map((r) => r.user));
  return [
    gauge("twitchtool_recordings_active", "Recordings capturing, waiting or finalizing", [
      [{}, status.recordings.length],
    ]),
    gauge(
      "twitchtool_recording_bytes",
      "Bytes captured so far by the channel's current recording",
      status.recordings.map((r) => [{ user: r.user }, r.bytes]),
    ),
    gauge(
      "twitchtool_channel_live",
      "1 when the channel is live or being recorded, else 0",
      channels.map((c) => [
        { user: c.user },
        c.state === "live" || recordingUsers.has(c.user) ? 1 : 0,
      ]),
    ),
  ];
}

/** The poller, the encoder and the disk. */
function daemonFamilies({ status, poll, disk }: PageData): Family[] {
  const job = status.encoder.current_job;
  return [
    gauge("twitchtool_poller_up", "1 when a poller runs", [[{}, status.poller.running ? 1 : 0]]),
    gauge(
      "twitchtool_poll_duration_seconds",
      "How long the poller's last cycle took",
      one(poll.cycle_seconds),
    ),
    counter("twitchtool_poll_cycles_total", "Cycles of the running poller", one(poll.cycles)),
    gauge("twitchtool_encoder_up", "1 when an encoder runs", [[
      {},
      status.encoder.running ? 1 : 0,
    ]]),
    gauge("twitchtool_encoder_paused", "1 while the encoder is paused", [
      [{}, status.encoder.paused ? 1 : 0],
    ]),
    gauge("twitchtool_encode_queue_jobs", "Encode jobs pending or encoding", [
      [{}, status.queue.pending.length + status.queue.encoding.length],
    ]),
    gauge(
      "twitchtool_encode_progress_ratio",
      "Progress of the current encode, 0 to 1 (0 when idle)",
      [[{}, job?.percent == null ? 0 : job.percent / 100]],
    ),
    gauge(
      "twitchtool_disk_free_bytes",
      "Free bytes on the recordings' filesystem",
      one(disk.free_bytes),
    ),
    gauge("twitchtool_disk_free_min_bytes", "Configured minimum free space (disk_free_min)", [
      [{}, disk.min_free_bytes],
    ]),
  ];
}

/** What the serving process counted since it started. */
function counterFamilies({ counters }: PageData): Family[] {
  return [
    counter(
      "twitchtool_recordings_finished_total",
      "Recordings that ended with a delivered file, seen by this process",
      [[{}, counters.recordings_finished]],
    ),
    counter(
      "twitchtool_recordings_failed_total",
      "Recordings that ended without a delivered file, seen by this process",
      [[{}, counters.recordings_failed]],
    ),
    counter(
      "twitchtool_recorded_bytes_total",
      "Bytes recordings wrote, seen by this process",
      [[{}, counters.bytes_written]],
    ),
  ];
}

function gauge(name: string, help: string, samples: readonly Sample[]): Family {
  return { name, kind: "gauge", help, samples };
}

function counter(name: string, help: string, samples: readonly Sample[]): Family {
  return { name, kind: "counter", help, samples };
}

function renderFamily(family: Family): string {
  let text = `# HELP ${family.name} ${
    escapeHelp(family.help)
  }\n# TYPE ${family.name} ${family.kind}\n`;
  for (const [labels, value] of family.samples) {
    const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
    text += `${family.name}${pairs.length ? `{${pairs.join(",")}}` : ""} ${formatValue(value)}\n`;
  }
  return text;
}

/** Escapes a label value: backslash, double quote and newline. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (!Number.isFinite(value)) return value > 0 ? "+Inf" : "-Inf";
  return String(value);
}
