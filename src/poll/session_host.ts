/**
 * The poller's recordings, hosted in its own process (with the default `download_cmd`): each
 * live channel becomes one capture session, the same one `twitchtool record` runs, instead of a
 * child Deno process of its own (about 35 MB each before it records a byte).
 *
 * The sessions' streamlinks run detached, so the poller may stop, restart or crash without
 * ending a recording: {@link SessionHost.leave} returns at once and leaves every running
 * streamlink writing; the next poller's {@link SessionHost.adoptLeft} finds those sessions
 * (manifest marked `host: "poller"`, streamlink alive: it holds the session's capture lock, see
 * `state/capture_lock.ts`) and carries them
 * on. Sessions whose streamlink died meanwhile are left to `recover`, which finishes them.
 */
import { getLogger, withContext } from "@logtape/logtape";
import { recorderLogPath } from "../state/recorder_log_path.ts";
import type { Config } from "../config/config.ts";
import { hostedConfig } from "../config/channel_settings.ts";
import { exitCodeOf } from "../errors.ts";
import type { LowPriorityTools } from "../proc/ffmpeg_args.ts";
import {
  type AdoptedSession,
  type BroadcastInfo,
  runCaptureSession,
} from "../record/capture_session.ts";
import { isSessionCaptureAlive } from "../state/capture_lock.ts";
import { listSessionFiles, sortParts } from "../state/session_folder.ts";
import { listManifests, type SessionManifest } from "../state/session_manifest.ts";
import { isUserHosted, isUserLocked } from "../state/user_lock.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { SESSION_LOG_MAX_MB_PROPERTY, SESSION_LOG_PROPERTY } from "../util/log_context.ts";
import type { StreamInfo } from "./detect_live.ts";
import type { LaunchedRecorder } from "./poller.ts";

const log = getLogger(["twitchtool", "poll"]);

/** Where hosted sessions live and how they record. */
export interface SessionHostOptions {
  /** The poller's config; `poller.quality` replaces `record.quality`. */
  readonly config: Config;
  readonly lowPriority: LowPriorityTools;
  readonly clock?: Clock;
}

/** Capture sessions running inside this process. */
export class SessionHost {
  readonly #leave = new AbortController();
  /** Never aborted by the host: a session stops on its own or through a stop request. */
  readonly #stop = new AbortController();
  readonly #sessions = new Map<string, Promise<number>>();
  #config: Config;

  constructor(private readonly options: SessionHostOptions) {
    this.#config = hostedConfig(options.config);
  }

  /**
   * Takes a reloaded config: sessions started from now on record with it, and each running
   * session's next streamlink part takes its quality from it (the running one is not touched).
   */
  update(config: Config): void {
    this.#config = hostedConfig(config);
  }

  /** Channels with a session in this process (capturing, waiting or finalizing). */
  get active(): string[] {
    return [...this.#sessions.keys()];
  }

  /** Where `user`'s streamlink output goes. */
  logPath(user: string): string {
    return recorderLogPath(this.#config.paths.logsDir, user);
  }

  /**
   * Takes over every session a previous poller left capturing: one whose streamlink still runs
   * (it holds the session's capture lock; found by that lock, so a poller killed before or
   * after journaling its streamlink loses nothing), and one left between two parts within
   * `retry_window` (it goes on with its next part, so a restart never splits a broadcast).
   * Returns the adopted channels once each holds its channel lock (so a `recover` started after
   * this never sees them as abandoned).
   */
  async adoptLeft(): Promise<string[]> {
    const adopted: string[] = [];
    const { partsByBase } = await listSessionFiles(this.#config.paths.tempDir);
    for (const left of await listManifests(this.#config.paths.tempDir)) {
      if (left.host !== "poller" || left.phase !== "capturing") continue;
      if (this.#sessions.has(left.user)) continue;
      const adopt = await this.#adoptable(left, partsByBase.get(left.base) ?? []);
      if (!adopt) continue;
      const { manifest, capture } = adopt;
      log.info(
        capture
          ? "Adopting {user} ({base}): its streamlink still writes {part}"
          : "Adopting {user} ({base}): left between two parts, capturing the next one",
        { user: manifest.user, base: manifest.base, part: capture?.part ?? "" },
      );
      const session = this.#run(manifest.user, adopt);
      await this.#locked(manifest.user, session);
      adopted.push(manifest.user);
    }
    return adopted;
  }

  /** What of a left session can be carried on, or `undefined` when it is `recover`'s. */
  async #adoptable(
    left: SessionManifest,
    onDisk: readonly string[],
  ): Promise<AdoptedSession | undefined> {
    const runtimeDir = this.#config.paths.runtimeDir;
    if (left.capture_ended_at) return undefined;
    if (await isUserHosted(runtimeDir, left.user)) return undefined;
    const known = left.capture ? [left.capture.part] : [];
    const all = sortParts([...new Set([...left.parts, ...known, ...onDisk])], left.base);
    if (await isSessionCaptureAlive(runtimeDir, left.base)) {
      // The part being written is the journaled one, or a newer one on disk.
      const running = all.at(-1);
      if (!running) return undefined;
      const capture = { pid: left.capture?.pid ?? 0, part: running, ...slotOf(left) };
      const parts = all.filter((part) => part !== running);
      return { manifest: { ...left, parts, capture }, capture };
    }
    if (await isUserLocked(runtimeDir, left.user)) return undefined;
    const parts: string[] = [];
    let lastWrite = 0;
    for (const part of all) {
      const info = await Deno.stat(part).catch(() => undefined);
      if (!info || info.size === 0) continue;
      parts.push(part);
      lastWrite = Math.max(lastWrite, info.mtime?.getTime() ?? 0);
    }
    const clock = this.options.clock ?? systemClock;
    const windowMs = this.#config.record.retryWindow * 1000;
    if (parts.length === 0 || clock.now() - lastWrite >= windowMs) return undefined;
    const { capture: _gone, ...rest } = left;
    return { manifest: { ...rest, parts } };
  }

  /** Starts a session for `user`; shaped like a launched recorder for the poll loop. */
  start(user: string, stream?: StreamInfo): LaunchedRecorder {
    const existing = this.#sessions.get(user);
    const exited = existing ??
      this.#run(
        user,
        undefined,
        stream && {
          id: stream.id,
          liveSince: stream.createdAt,
          ...(stream.title !== undefined ? { title: stream.title } : {}),
          ...(stream.vodId ? { vodId: stream.vodId } : {}),
        },
      );
    return { pid: Deno.pid, exited, log: this.logPath(user), hosted: true };
  }

  /**
   * Ends hosting: sessions that capture or wait return at once, their streamlinks keep writing
   * for the next poller; a session already finalizing is let finish (its ffmpeg would otherwise
   * be orphaned half-way).
   */
  async leave(): Promise<void> {
    this.#leave.abort();
    await Promise.allSettled(this.#sessions.values());
  }

  #run(user: string, adopt?: AdoptedSession, stream?: BroadcastInfo): Promise<number> {
    const logPath = this.logPath(user);
    // Every line the session logs also goes to its <user>.log, beside its streamlink's output.
    const context = {
      [SESSION_LOG_PROPERTY]: logPath,
      [SESSION_LOG_MAX_MB_PROPERTY]: this.#config.logging.maxLogMb,
    };
    const session = withContext(context, () =>
      runCaptureSession(
        {
          user,
          config: this.#config,
          current: () => this.#config,
          failFast: false,
          detachedLog: logPath,
          lowPriority: this.options.lowPriority,
          ...(adopt ? { adopt } : {}),
          ...(stream ? { stream } : {}),
        },
        { stop: this.#stop.signal, leave: this.#leave.signal },
        this.options.clock ? { clock: this.options.clock } : {},
      )).then((outcome) => {
        if (outcome.finished) {
          log.info("Recorded {user}: {file}", { user, file: outcome.finished.delivered[0] });
        }
        return 0;
      }, (error: Error) => {
        log.warn("Recording of {user} ended: {error}", { user, error: error.message });
        // The recorder's exit code, so the poll loop tells a full disk from other failures.
        return exitCodeOf(error);
      }).finally(() => this.#sessions.delete(user));
    this.#sessions.set(user, session);
    return session;
  }

  async #locked(user: string, session: Promise<number>): Promise<void> {
    let settled = false;
    session.finally(() => settled = true);
    const clock = this.options.clock ?? systemClock;
    while (!settled && !(await isUserLocked(this.#config.paths.runtimeDir, user))) {
      await clock.sleep(20);
    }
  }
}

/** The slot a left streamlink holds, as its manifest journaled it. */
function slotOf(left: SessionManifest): { slot?: number } {
  return left.capture?.slot === undefined ? {} : { slot: left.capture.slot };
}
