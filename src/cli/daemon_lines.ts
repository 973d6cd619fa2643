/**
 * Human-readable lines about the daemons, shared by `status` and `poller status` so both say
 * the same thing the same way.
 */
import type { EncoderView, PollerView } from "../state/status_snapshot.ts";

/** The poller: running or not, its schedule, and what its last cycle saw and did. */
export function describePoller(view: PollerView): string[] {
  if (!view.running) {
    return [`Poller: not running${view.last_poll ? ` (last poll ${view.last_poll})` : ""}`];
  }
  const lines = [
    `Poller: running (pid ${view.pid}) since ${view.started_at ?? "?"}`,
    `  last poll ${view.last_poll ?? "not yet"}, next poll ${view.next_poll ?? "soon"}`,
    `  live: ${view.live.length ? view.live.join(", ") : "none"}${
      view.detector ? ` (detected with ${view.detector})` : ""
    }`,
  ];
  const launched = view.launched.map((entry) => {
    const record = entry as { user?: unknown; pid?: unknown };
    return `${record.user} (pid ${record.pid})`;
  });
  if (launched.length) lines.push(`  launched last cycle: ${launched.join(", ")}`);
  const skipped = view.skipped.map((entry) => {
    const record = entry as { user?: unknown; reason?: unknown };
    return `${record.user} (${record.reason})`;
  });
  if (skipped.length) lines.push(`  not launched: ${skipped.join(", ")}`);
  if (view.last_error) lines.push(`  last error: ${view.last_error}`);
  if (view.detector_error) {
    lines.push(
      `  last Twitch API error (${view.detector_error.at}): ${view.detector_error.message}`,
    );
  }
  return lines;
}

/** The encoder: running, paused, and the job it is on with progress. */
export function describeEncoder(view: EncoderView): string[] {
  if (!view.running) return ["Encoder: not running"];
  const head = `Encoder: ${view.paused ? "paused" : view.state ?? "running"} (pid ${view.pid})`;
  const job = view.current_job;
  if (!job) return [head, "  no current job"];
  const percent = typeof job.percent === "number" ? `${job.percent.toFixed(1)}%` : "?%";
  const speed = typeof job.speed === "number" ? `, ${job.speed}x` : "";
  const eta = typeof job.eta_seconds === "number"
    ? `, about ${formatDuration(job.eta_seconds)} left`
    : "";
  return [head, `  encoding ${String(job.input ?? "?")}: ${percent}${speed}${eta}`];
}

/** `1h02m`, `4m05s`, `12s`. */
export function formatDuration(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, "0")}m`;
  if (m > 0) return `${m}m${String(s).padStart(2, "0")}s`;
  return `${s}s`;
}
