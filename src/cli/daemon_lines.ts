/**
 * Human-readable lines about the daemons and the queue, shared by `status`, `poller status`
 * and `encode-daemon status` so they say the same thing the same way.
 */
import type { ConfigFileState } from "../config/config_watch.ts";
import { describeProgress } from "../encode/progress_log.ts";
import type { EncoderView, PollerView } from "../state/status_snapshot.ts";
import { localTime } from "./human_values.ts";
import { KILL_WAIT_MS } from "../proc/stop_daemon.ts";

/** The poller: running or not, its schedule, what its last cycle saw and did, a bad status file. */
export function describePoller(view: PollerView): string[] {
  return withUnreadableStatus(pollerLines(view), view.status_unreadable);
}

/**
 * A status file that cannot be read is said so (not shown as "no status"): the daemon may be
 * fine, but what status shows about it is not its own word.
 */
function withUnreadableStatus(lines: string[], reason: string | null): string[] {
  return reason === null ? lines : [...lines, `  status file unreadable: ${reason}`];
}

function pollerLines(view: PollerView): string[] {
  if (!view.running) {
    return [
      `Poller: not running${view.last_poll ? ` (last poll ${localTime(view.last_poll)})` : ""}`,
    ];
  }
  const lines = [
    `Poller: running (pid ${view.pid}) since ${view.started_at ? localTime(view.started_at) : "?"}`,
    `  last poll ${view.last_poll ? localTime(view.last_poll) : "not yet"}, next poll ${
      view.next_poll ? localTime(view.next_poll) : "soon"
    }`,
    `  live: ${view.live.length ? view.live.join(", ") : "none"}${
      view.detector ? ` (detected with ${view.detector})` : ""
    }`,
  ];
  const launched = view.launched.map((entry) => `${entry.user} (pid ${entry.pid})`);
  if (launched.length) lines.push(`  launched last cycle: ${launched.join(", ")}`);
  const skipped = view.skipped.map((entry) => `${entry.user} (${entry.reason})`);
  if (skipped.length) lines.push(`  not launched: ${skipped.join(", ")}`);
  if (view.last_error) lines.push(`  last error: ${view.last_error}`);
  if (view.detector_error) {
    lines.push(
      `  last Twitch API error (${view.detector_error.at}): ${view.detector_error.message}`,
    );
  }
  lines.push(...configLines(view.config));
  for (const rename of view.renamed) {
    lines.push(
      `  renamed on Twitch: ${rename.from} is now ${rename.to} (since ${localTime(rename.at)})`,
    );
  }
  return lines;
}

/** Whether the config on disk is in force, and the keys that wait for a restart. */
export function configLines(state: ConfigFileState | null | undefined): string[] {
  if (!state) return [];
  const lines: string[] = [];
  if (!state.in_force && state.error) {
    lines.push(
      `  config ${state.path} NOT in force (refused ${
        localTime(state.error.at)
      }): ${state.error.message}; the last good config is used`,
    );
  }
  if (state.restart_needed?.length) {
    lines.push(`  config changes that need a restart: ${state.restart_needed.join(", ")}`);
  }
  return lines;
}

/** The encoder: running, paused, and the job it is on with progress (`short` shortens paths). */
export function describeEncoder(
  view: EncoderView,
  short: (path: string) => string = (path) => path,
): string[] {
  const lines = [...encoderLines(view, short), ...configLines(view.config)];
  return withUnreadableStatus(lines, view.status_unreadable);
}

function encoderLines(view: EncoderView, short: (path: string) => string): string[] {
  if (!view.running) return ["Encoder: not running"];
  const head = `Encoder: ${
    describeEncoderState(view.paused ? "paused" : view.state)
  } (pid ${view.pid})`;
  const job = view.current_job;
  if (!job) return [head, "  no current job"];
  const progress = describeProgress({
    percent: job.percent,
    speed: job.speed,
    etaSeconds: job.eta_seconds,
  });
  return [head, `  encoding ${short(job.input)}: ${progress}`];
}

/** The encoder's state in words (its status file keeps the short codes for scripts). */
function describeEncoderState(state: string | null | undefined): string {
  switch (state) {
    case "paused":
      return "paused while a recording captures";
    case "low-disk":
      return "waiting for free space (below disk_free_min)";
    case undefined:
    case null:
      return "running";
    default:
      return state;
  }
}

/** What `stop --force` says of a daemon that outlived its SIGTERM and the SIGKILL wait. */
export function outlivedKillMessage(daemon: string, pid: number | null, seconds: number): string {
  return `The ${daemon} (pid ${pid}) is still running ${seconds} s after SIGTERM and ${
    KILL_WAIT_MS / 1000
  } s after SIGKILL`;
}
