/**
 * How a session starts the streamlink of each part, in its three shapes: taking over the
 * adopted streamlink a previous poller left writing, a detached streamlink for a session the
 * poller hosts (journaled before and after the spawn, output into the channel's log), or a
 * child whose output this process reads and logs (`record`).
 */
import { getLogger } from "@logtape/logtape";
import { readAt } from "../util/read_at.ts";
import { NO_SPACE } from "../util/disk_space.ts";
import { lastNetworkProblem, networkProblem } from "./stream_problem.ts";
import { logRotation, rotateLogIfLarge } from "../state/log_rotation.ts";
import {
  attachedProcess,
  type Child,
  spawnChild,
  spawnDetached,
  startDetachedLog,
} from "../proc/spawn.ts";
import { captureArgs, redactArgs, unmaskedOutputLoglevel } from "../proc/streamlink_args.ts";
import { lockedCommand } from "../proc/locked_command.ts";
import { failpoint } from "../proc/failpoint.ts";
import { sizeOrZero } from "../state/atomic_write.ts";
import { FileLock } from "../state/file_lock.ts";
import { captureHolderPid, prepareLockFile } from "../state/capture_lock.ts";
import type { CaptureProcess } from "../state/session_manifest.ts";
import { privateStreamlinkArgs, type StreamlinkExtraArgs } from "../state/streamlink_args_file.ts";
import { userCaptureLockPath } from "../state/user_lock.ts";
import type { Config } from "../config/config.ts";
import type { SlotHandle } from "../state/slot_pool.ts";
import type { Clock } from "../util/clock.ts";
import { streamlinkLogLevel } from "./streamlink_log_level.ts";
import { streamlinkVersion } from "../proc/streamlink_version.ts";

/** How often an adopted streamlink is checked for its end, and a session for a stop request. */
export const WATCH_MS = 500;

const log = getLogger(["twitchtool", "record"]);

/** A command line wrapped in `flock` for the locks streamlink holds. */
type LockedCommand = ReturnType<typeof lockedCommand>;

/**
 * What the starter sees of its capture session, and what it tells it: the session's own state
 * stays private to `CaptureSession`, which hands this view over.
 */
export interface StreamlinkSession {
  readonly user: string;
  readonly base: string;
  readonly url: string;
  readonly config: Config;
  /** The channel's settings in force now: each new part's quality and log level come from here. */
  current(): Config;
  /** Hosted by the poller: streamlink runs detached, writing into this log. */
  readonly detachedLog: string | undefined;
  readonly slot: SlotHandle | undefined;
  readonly clock: Clock;
  /** The streamlink a previous poller left writing, taken over for its part. */
  readonly adopted: CaptureProcess | undefined;
  /** The API just said "live" and nothing came yet: streamlink's "no streams" means no route. */
  apiLiveNoData(): boolean;
  /** What kept the last attempt from the stream when it was the network (undefined: nothing). */
  setNetworkTrouble(problem: string | undefined): void;
  /** streamlink said ENOSPC. */
  diskFull(detail: string): void;
  /** Journals the running streamlink in the session's manifest. */
  journalCapture(capture: CaptureProcess): Promise<void>;
}

/**
 * Starts (or takes over) the streamlink of each part of one session. It owns the private file of
 * the session's secret streamlink options (state/streamlink_args_file.ts): made again when a
 * reloaded config changes `extra_args`, removed when the session is done with it.
 */
export class StreamlinkStarter implements AsyncDisposable {
  /** The adopted streamlink, until its part is asked for (then only new ones are spawned). */
  #adopted: CaptureProcess | undefined;
  /** `extra_args` ready for argv, and the `extra_args` they were made from. */
  #extra: { made: StreamlinkExtraArgs; from: readonly string[] };

  private constructor(
    readonly session: StreamlinkSession,
    readonly captureLock: string,
    extra: { made: StreamlinkExtraArgs; from: readonly string[] },
    /** Every lock each streamlink holds for its whole life. */
    readonly heldLocks: readonly string[],
  ) {
    this.#adopted = session.adopted;
    this.#extra = extra;
  }

  /**
   * Prepares the lock files streamlink will hold and the private file of the secret options of
   * `extra_args` (never in argv: `ps` shows argv to everyone), and warns when a hosted streamlink
   * must run at a lower loglevel than asked.
   */
  static async prepare(
    session: StreamlinkSession,
    captureLock: string,
  ): Promise<StreamlinkStarter> {
    const { config } = session;
    // Besides the session's capture lock, each streamlink holds its slot's and its channel's
    // capture locks: a capture whose host is gone still counts against record_limit, keeps its
    // channel taken and pauses the encoder, for exactly as long as it runs.
    const slot = session.slot;
    const heldLocks = [
      ...(slot ? [slot.captureLockPath] : []),
      userCaptureLockPath(config.paths.runtimeDir, session.user),
      captureLock,
    ];
    for (const path of heldLocks) await prepareLockFile(path);
    const current = session.current();
    const extra = await privateStreamlinkArgs(
      config.paths.runtimeDir,
      current.streamlink.extraArgs,
    );
    const detachedLoglevel = unmaskedOutputLoglevel(
      current.record.loglevel,
      extra.secrets.length > 0,
    );
    if (session.detachedLog && detachedLoglevel !== current.record.loglevel) {
      log.warn(
        "streamlink runs at loglevel {used}, not {asked}: at {asked} it prints the secret options of streamlink.extra_args into {file}, which this process cannot mask for a recording the poller hosts (run `twitchtool record` for a debug log)",
        { used: detachedLoglevel, asked: current.record.loglevel, file: session.detachedLog },
      );
    }
    const made = { made: extra, from: current.streamlink.extraArgs };
    return new StreamlinkStarter(session, captureLock, made, heldLocks);
  }

  /** Removes the private args file (every streamlink started has read it by then). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.#extra.made[Symbol.asyncDispose]();
  }

  /** The streamlink writing `output`: the adopted one when it writes that part, else a new one. */
  async start(output: string): Promise<Child> {
    const adopted = this.#adopted;
    if (adopted && adopted.part === output) {
      this.#adopted = undefined;
      return await this.#attach(adopted);
    }
    // A reloaded config reaches the next part; the running streamlink is never touched.
    const config = this.session.current();
    const detachedLog = this.session.detachedLog;
    const extra = await this.#extraArgs(config);
    const args = captureArgs({
      url: this.session.url,
      quality: config.record.quality,
      output,
      // A detached streamlink's output cannot be masked: no level that prints secret options.
      loglevel: detachedLog
        ? unmaskedOutputLoglevel(config.record.loglevel, extra.secrets.length > 0)
        : config.record.loglevel,
      extraArgs: extra.args,
      // Every part reaches back to the oldest segment the live playlist holds: the first so the
      // recording starts with the broadcast, not where detection happened to notice it; later
      // ones so a restart after a crash or a network error covers what the outage skipped.
      // What a later part repeats of the one before is dropped by content at finalize.
      fromWindowStart: true,
      codecs: { list: config.streamlink.supportedCodecs, version: await streamlinkVersion() },
    });
    log.debug("Running streamlink {args}", { args: redactArgs(args).join(" ") });
    this.session.setNetworkTrouble(undefined);
    const locked = lockedCommand(this.heldLocks, "streamlink", args);
    return detachedLog
      ? await this.#spawnDetached(output, args, locked, detachedLog)
      : this.#spawnPiped(output, locked);
  }

  /**
   * `extra_args` of the config in force, for the next part: when a reload changed them, a new
   * private file is made and the previous one removed (the streamlink that was given it read it
   * as it started). A new file that cannot be made keeps the previous arguments, said once.
   */
  async #extraArgs(config: Config): Promise<StreamlinkExtraArgs> {
    const wanted = config.streamlink.extraArgs;
    const { made, from } = this.#extra;
    if (JSON.stringify(wanted) === JSON.stringify(from)) return made;
    try {
      const next = await privateStreamlinkArgs(config.paths.runtimeDir, wanted);
      this.#extra = { made: next, from: wanted };
      await made[Symbol.asyncDispose]();
      return next;
    } catch (error) {
      this.#extra = { made, from: wanted };
      log.error("Keeping the previous streamlink.extra_args for {user}: {error}", {
        user: this.session.user,
        error: (error as Error).message,
      });
      return made;
    }
  }

  /** Watches the adopted streamlink until it ends, journaling its real pid and slot. */
  async #attach(running: CaptureProcess): Promise<Child> {
    const { session } = this;
    const { clock, slot } = session;
    // The kernel names the capture lock's holder: no pid from a file is trusted.
    const pid = await captureHolderPid(session.config.paths.runtimeDir, session.base) ||
      running.pid;
    await session.journalCapture({ ...running, pid, ...(slot ? { slot: slot.index } : {}) });
    // Probed, not read from /proc/locks (which can miss an entry while locks come and go):
    // holding the channel lock, this process is the only one that may take it.
    return attachedProcess(pid, () => FileLock.probe(this.captureLock), {
      clock,
      pollMs: WATCH_MS,
    });
  }

  /** A streamlink of a hosted session: outlives this process, journaled so it can be adopted. */
  async #spawnDetached(
    output: string,
    args: readonly string[],
    locked: LockedCommand,
    logPath: string,
  ): Promise<Child> {
    const { session } = this;
    const { clock, slot } = session;
    const header = `--- ${new Date(clock.now()).toISOString()} ${session.base}: streamlink ${
      redactArgs(args).join(" ")
    }\n`;
    // A part boundary: the new streamlink opens the log afresh, so rotate here (see
    // state/log_rotation.ts: the previous streamlink keeps writing into the renamed file).
    rotateLogIfLarge(logPath, logRotation(session.config.logging.maxLogMb));
    await startDetachedLog(logPath, header);
    // Journaled before the spawn: a poller killed right after it leaves a manifest that
    // names the running part and its slot, so the next poller adopts it.
    const slotIndex = slot ? { slot: slot.index } : {};
    await session.journalCapture({ pid: 0, part: output, ...slotIndex });
    const from = await sizeOrZero(logPath);
    const spawned = spawnDetached(locked.command, locked.args, logPath);
    // Its output goes to the log, not through us: read what it said once it ends.
    const child: Child = {
      ...spawned,
      exited: spawned.exited.then(async (exit) => {
        session.setNetworkTrouble(
          lastNetworkProblem(await readLogTail(logPath, from), session.apiLiveNoData()),
        );
        return exit;
      }),
    };
    await failpoint("streamlink-spawned");
    await session.journalCapture({ pid: child.pid, part: output, ...slotIndex });
    return child;
  }

  /** A streamlink of `record`: its output is read here, logged, and watched for trouble. */
  #spawnPiped(output: string, locked: LockedCommand): Child {
    const { session } = this;
    const forward = (line: string) => {
      if (NO_SPACE.test(line)) {
        session.diskFull(`no space left on device writing "${output}"`);
      }
      const problem = networkProblem(line, session.apiLiveNoData());
      if (problem) session.setNetworkTrouble(problem);
      log[streamlinkLogLevel(line)]("streamlink: {line}", { user: session.user, line });
    };
    return spawnChild(locked.command, locked.args, {
      stdout: { lines: forward },
      stderr: { lines: forward },
    });
  }
}

/** The end of a log from `from` on (at most its last 64 KiB): what one streamlink printed. */
async function readLogTail(path: string, from: number): Promise<string> {
  try {
    using file = await Deno.open(path, { read: true });
    const size = (await file.stat()).size;
    const start = size < from ? 0 : Math.max(from, size - 64 * 1024);
    return new TextDecoder().decode(await readAt(file, start, size - start));
  } catch {
    return "";
  }
}
