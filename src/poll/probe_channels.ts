/**
 * Is a channel live? Asked of streamlink itself (`--stream-url`), so the poller needs no Twitch
 * API credentials and agrees with the recorder about what "live" means. Probes are bounded in
 * time (a hung probe counts as offline and is killed) and in number (`probe_concurrency`), so
 * a long users file cannot fork-bomb the machine or stall a cycle.
 */
import { getLogger } from "@logtape/logtape";
import { type Child, spawnChild, type SpawnOptions } from "../proc/spawn.ts";
import { probeArgs, redactArgs, streamUrl } from "../proc/streamlink_args.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { mapLimit } from "../util/map_limit.ts";

const log = getLogger(["twitchtool", "poll"]);

/** Outcome of one probe: only `live` leads to a launch. */
export type ProbeResult = "live" | "offline" | "timeout" | "error";

/** How channels are probed. */
export interface ProbeSpec {
  readonly urlTemplate: string;
  readonly quality: string;
  readonly extraArgs: readonly string[];
  readonly timeoutMs: number;
}

/** Starts a child process; {@link spawnChild} unless a test injects another. */
export type Spawner = (command: string, args: readonly string[], options: SpawnOptions) => Child;

/**
 * Probes one channel: `streamlink --stream-url <url> <quality>` prints the stream URL and
 * exits 0 when live. Past `timeoutMs`, or when `signal` aborts, the probe is SIGKILLed (it
 * only resolves a URL, nothing to flush).
 */
export async function probeChannel(
  user: string,
  spec: ProbeSpec,
  signal: AbortSignal,
  deps: { spawn?: Spawner; clock?: Clock; program?: string } = {},
): Promise<ProbeResult> {
  const spawn = deps.spawn ?? spawnChild;
  const clock = deps.clock ?? systemClock;
  const args = probeArgs(streamUrl(spec.urlTemplate, user), spec.quality, spec.extraArgs);
  const output: string[] = [];
  let child: Child;
  try {
    child = spawn(deps.program ?? "streamlink", args, {
      stdout: { lines: (line) => output.push(line) },
      stderr: { lines: (line) => output.push(line) },
    });
  } catch (error) {
    log.error("Cannot start probe for {user}: {error}", { user, error: String(error) });
    return "error";
  }
  const stopTimer = new AbortController();
  const onAbort = () => stopTimer.abort();
  signal.addEventListener("abort", onAbort, { once: true });
  let timedOut = false;
  try {
    const finished = await Promise.race([
      child.exited,
      clock.sleep(spec.timeoutMs, stopTimer.signal).then(() => undefined),
    ]);
    if (finished) {
      const live = finished.code === 0 &&
        output.some((line) => /^[a-z][a-z0-9+.-]*:\/\//i.test(line));
      log.debug("Probe {user}: {result}", {
        user,
        result: live ? "live" : "offline",
        code: finished.code,
        output: redactArgs(output).join(" | "),
      });
      return live ? "live" : "offline";
    }
    timedOut = !signal.aborted;
    child.signal("SIGKILL");
    await child.exited;
    if (timedOut) {
      log.warn("Probe of {user} timed out after {seconds} s; counting it as offline", {
        user,
        seconds: spec.timeoutMs / 1000,
      });
    }
    return "timeout";
  } finally {
    stopTimer.abort();
    signal.removeEventListener("abort", onAbort);
  }
}

/**
 * Probes `users` with at most `concurrency` probes running at once; results keyed by user.
 * Stops starting new probes once `signal` aborts (those users are left out).
 */
export async function probeChannels(
  users: readonly string[],
  concurrency: number,
  probe: (user: string) => Promise<ProbeResult>,
  signal: AbortSignal,
): Promise<Map<string, ProbeResult>> {
  const results = new Map<string, ProbeResult>();
  await mapLimit(users, concurrency, async (user) => {
    try {
      results.set(user, await probe(user));
    } catch (error) {
      log.error("Probe of {user} failed: {error}", { user, error: String(error) });
      results.set(user, "error");
    }
  }, signal);
  return results;
}
