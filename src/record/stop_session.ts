/**
 * `twitchtool stop <slot>`: stop the slot's capture whoever hosts it, and say "finalized" only
 * once the recording is delivered.
 *
 * Why this shape:
 * - The host is asked first, the way it listens: SIGINT to a `record` process, a stop request
 *   file to the poller (a signal would stop the whole poller). The request also reaches a
 *   poller that adopts the capture meanwhile: an adopting session keeps a pending request.
 * - A capture can run with no host at all (its poller stopped or crashed): its streamlink holds
 *   the channel's capture lock itself (`state/user_lock.ts`). Then `stop` becomes its host: it
 *   takes the channel lock (so no poller adopts it and no `record` starts meanwhile), SIGINTs
 *   the process the kernel names as that lock's holder (no pid from a file), and finalizes the
 *   session like `recover`, without waiting for a poller.
 * - The same happens when the host goes away while `stop` waits (poller killed), or when it
 *   died after capturing but before finalizing.
 * - "Finalized" is a fact checked at the end: the session's manifest is gone and its file is in
 *   the record dir.
 */
import { getLogger } from "@logtape/logtape";
import type { Config } from "../config/config.ts";
import { signalPid } from "../proc/spawn.ts";
import { stopProcess } from "../proc/stop_process.ts";
import { listDirEntries } from "../state/atomic_write.ts";
import { FileLock } from "../state/file_lock.ts";
import { listManifests, type SessionManifest } from "../state/session_manifest.ts";
import type { ActiveSlot } from "../state/slot_pool.ts";
import { clearStopRequest, requestStop } from "../state/stop_request.ts";
import { acquireUserLock, isUserHosted, userCaptureLockPath } from "../state/user_lock.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { recoverSessions } from "./recover.ts";

const log = getLogger(["twitchtool", "stop"]);

/**
 * How a stop ended. `timeout`: still running at the deadline (a poller-hosted recording is
 * never killed: that would kill the poller); `not-finalized`: the capture stopped but no file
 * was delivered (`detail` says why; the parts stay for `recover`).
 */
export type StopSessionResult =
  | { readonly kind: "finalized"; readonly files: readonly string[] }
  | { readonly kind: "not-finalized"; readonly detail: string }
  | { readonly kind: "timeout" };

/** Options of {@link stopSession}. */
export interface StopSessionOptions {
  /** How long the capture may take to stop (finalizing afterwards is not limited). */
  readonly timeoutMs: number;
  /** SIGKILL what still runs at the deadline (never a poller: only a `record` or streamlink). */
  readonly force: boolean;
  readonly clock?: Clock;
  readonly pollMs?: number;
}

/** Stops the recording in `slot` and finalizes it (see the module doc). */
export async function stopSession(
  config: Config,
  slot: ActiveSlot,
  options: StopSessionOptions,
): Promise<StopSessionResult> {
  const clock = options.clock ?? systemClock;
  const runtimeDir = config.paths.runtimeDir;
  const user = slot.username;
  const session = await currentSession(config, user);
  await requestStop(runtimeDir, user);
  if (!slot.unhosted && slot.host !== "poller") await signalPid(slot.pid, "SIGINT");
  const deadline = clock.now() + options.timeoutMs;
  let killed = false;
  for (;;) {
    if (!(await isUserHosted(runtimeDir, user))) {
      // Nobody hosts the channel: this process does, and finishes what is left of it.
      const lock = await acquireUserLock(runtimeDir, user, { adopting: true })
        .catch(() => undefined);
      if (lock) {
        try {
          // Exact while we hold the channel lock (only its holder starts a capture).
          if (await FileLock.probe(userCaptureLockPath(runtimeDir, user))) {
            return await stopAndFinish(config, user, session, deadline, options);
          }
          return await finishLeft(config, user, session);
        } finally {
          lock.release();
        }
      }
    } else if (clock.now() >= deadline) {
      if (!options.force || slot.host === "poller" || slot.unhosted || killed) {
        return { kind: "timeout" };
      }
      log.warn("Killing the recorder of {user} (pid {pid})", { user, pid: slot.pid });
      await signalPid(slot.pid, "SIGKILL");
      killed = true;
    }
    await clock.sleep(options.pollMs ?? 250);
  }
}

/**
 * As the channel's host: stops its running streamlink (SIGINT, SIGKILL at the deadline with
 * `force`), then finalizes its session.
 */
async function stopAndFinish(
  config: Config,
  user: string,
  session: SessionManifest | undefined,
  deadline: number,
  options: StopSessionOptions,
): Promise<StopSessionResult> {
  const clock = options.clock ?? systemClock;
  const lockPath = userCaptureLockPath(config.paths.runtimeDir, user);
  const send = async (signal: Deno.Signal) => {
    const pid = await FileLock.holderPid(lockPath) || session?.capture?.pid;
    log.info("Stopping the capture of {user} (pid {pid}), which has no host", { user, pid });
    if (pid) await signalPid(pid, signal);
  };
  const ended = await stopProcess(
    { send, isGone: async () => !(await FileLock.isHeldByWaiters(lockPath)) },
    [
      { signal: "SIGINT", waitMs: Math.max(0, deadline - clock.now()) },
      ...(options.force ? [{ signal: "SIGKILL" as const, waitMs: 5000 }] : []),
    ],
    { clock, label: `streamlink of ${user}` },
  );
  if (ended < 0) return { kind: "timeout" };
  await clearStopRequest(config.paths.runtimeDir, user);
  return await finalize(config, user, session);
}

/**
 * Once nothing captures the channel and this process holds its lock: the session was delivered
 * by its host, or is left (its host died after capturing) and is finalized here.
 */
async function finishLeft(
  config: Config,
  user: string,
  session: SessionManifest | undefined,
): Promise<StopSessionResult> {
  if (!session) return { kind: "not-finalized", detail: "nothing had been captured" };
  await clearStopRequest(config.paths.runtimeDir, user);
  const left = (await listManifests(config.paths.tempDir)).some((m) => m.base === session.base);
  if (!left) return await delivered(config, session);
  return await finalize(config, user, session);
}

/** Finalizes the channel's left sessions like `recover`; the stopped one decides the result. */
async function finalize(
  config: Config,
  user: string,
  session: SessionManifest | undefined,
): Promise<StopSessionResult> {
  const reports = await recoverSessions(config, { ownUser: user, onlyUser: user });
  if (!session) return { kind: "not-finalized", detail: "nothing had been captured" };
  const report = reports.find((r) => r.base === session.base);
  if (report?.action === "failed") {
    return { kind: "not-finalized", detail: report.detail ?? "finalizing failed" };
  }
  return await delivered(config, session);
}

/** `finalized` with the session's files in the record dir, or why there are none. */
async function delivered(config: Config, session: SessionManifest): Promise<StopSessionResult> {
  const files = (await listDirEntries(config.paths.recordDir))
    .filter((entry) => entry.isFile && entry.name.startsWith(session.base))
    .filter((entry) => /\.(mp4|ts)$/.test(entry.name) && !entry.name.includes("_compressed"))
    .map((entry) => `${config.paths.recordDir}/${entry.name}`)
    .sort();
  if (files.length > 0) return { kind: "finalized", files };
  const still = (await listManifests(config.paths.tempDir)).some((m) => m.base === session.base);
  return {
    kind: "not-finalized",
    detail: still
      ? `its parts are kept in "${config.paths.tempDir}"; run "twitchtool recover"`
      : "nothing was delivered",
  };
}

/** The channel's newest unfinished session (the one the slot records), if it has one yet. */
async function currentSession(
  config: Config,
  user: string,
): Promise<SessionManifest | undefined> {
  return (await listManifests(config.paths.tempDir))
    .filter((manifest) => manifest.user === user)
    .sort((a, b) => a.base < b.base ? -1 : a.base > b.base ? 1 : 0)
    .at(-1);
}
