/**
 * The state of one session while it captures in its slot, held in one object so the steps of
 * `captureInSlot` (starting streamlink, the capture loop's hooks, the end-of-capture
 * bookkeeping) share it instead of closing over a dozen variables of one long function. The
 * manifest is rebuilt from this state each time it is journaled.
 */
import { getLogger } from "@logtape/logtape";
import type { CaptureProcess, SessionManifest } from "../state/session_manifest.ts";
import { writeManifest } from "../state/session_manifest.ts";
import type { SlotHandle } from "../state/slot_pool.ts";
import { sessionBase } from "../state/session_folder.ts";
import { streamUrl } from "../proc/streamlink_args.ts";
import type { Clock } from "../util/clock.ts";
import { notifyRecordingStarted } from "../notify/session_events.ts";
import type { BroadcastInfo, SessionRequest } from "./capture_session.ts";

const log = getLogger(["twitchtool", "record"]);

/** How often a hosted session looks for a stop request, and an adopted streamlink for its end. */
export const WATCH_MS = 500;

/** What `runCaptureSession` hands the capture once it holds the channel lock and a slot. */
export interface SlotContext {
  readonly stop: AbortSignal;
  readonly leave: AbortSignal | undefined;
  readonly slot: SlotHandle | undefined;
  /**
   * Frees the slot once capture ends (finalizing needs none), or only lets go of it when
   * `leaving` a capture running; safe to call twice.
   */
  readonly releaseSlot: (leaving?: boolean) => Promise<void>;
  readonly clock: Clock;
  readonly startedAt: Date;
  readonly lowDiskReason: () => Promise<string | undefined>;
  /** streamlink said ENOSPC (only seen for a streamlink whose output this process reads). */
  readonly onDiskFull: (detail: string) => void;
}

/** One session's capture state and its manifest (see the module doc). */
export class SlotSession {
  readonly base: string;
  readonly url: string;
  /** The broadcast, from the request or from the adopted manifest. */
  readonly stream: BroadcastInfo | undefined;
  /** Kept parts, in order: an adopted session's earlier ones first. */
  readonly parts: string[];
  /** The running streamlink as journaled; absent between parts. */
  capture: CaptureProcess | undefined;
  firstDataAt: string | undefined;
  /** Set once capturing has ended for good: the session is then only finalized, never adopted. */
  captureEndedAt: string | undefined;
  /** What kept the last attempt from the stream when it was the network, not the channel. */
  networkTrouble: string | undefined;

  constructor(readonly request: SessionRequest, readonly context: SlotContext) {
    const { adopt, user, config } = request;
    this.base = adopt?.manifest.base ?? sessionBase(user, new Date(context.clock.now()));
    this.url = streamUrl(config.streamlink.urlTemplate, user);
    this.parts = [...(adopt?.manifest.parts ?? [])];
    this.capture = adopt?.capture;
    this.stream = request.stream ??
      (adopt?.manifest.stream_id && adopt.manifest.live_since
        ? {
          id: adopt.manifest.stream_id,
          liveSince: adopt.manifest.live_since,
          ...(adopt.manifest.vod_id ? { vodId: adopt.manifest.vod_id } : {}),
        }
        : undefined);
    this.firstDataAt = adopt?.manifest.first_data_at;
  }

  get user(): string {
    return this.request.user;
  }

  get tempDir(): string {
    return this.request.config.paths.tempDir;
  }

  /** Hosted by the poller: streamlink runs detached, writing into this log. */
  get detachedLog(): string | undefined {
    return this.request.detachedLog;
  }

  /** The session's manifest as of now (settings of an adopted session win over the config). */
  manifest(): SessionManifest {
    const { config, adopt, user } = this.request;
    const adopted = adopt?.manifest;
    const stream = this.stream;
    return {
      user,
      base: this.base,
      pid: Deno.pid,
      started_at: this.context.startedAt.toISOString(),
      phase: "capturing",
      parts: this.parts,
      enable_remux: adopted?.enable_remux ?? config.record.enableRemux,
      delete_ts_after_remux: adopted?.delete_ts_after_remux ?? config.record.deleteTsAfterRemux,
      delete_input_on_success: adopted?.delete_input_on_success ??
        config.record.deleteInputOnSuccess,
      ...(stream ? { stream_id: stream.id, live_since: stream.liveSince } : {}),
      ...(stream?.vodId ? { vod_id: stream.vodId } : {}),
      ...(this.firstDataAt ? { first_data_at: this.firstDataAt } : {}),
      ...(this.detachedLog !== undefined ? { host: "poller" as const } : {}),
      ...(this.capture ? { capture: this.capture } : {}),
      ...(this.captureEndedAt ? { capture_ended_at: this.captureEndedAt } : {}),
    };
  }

  /** The API just said "live" and nothing came yet: streamlink's "no streams" means no route. */
  apiLiveNoData(): boolean {
    return this.stream !== undefined && this.firstDataAt === undefined;
  }

  /** Writes the manifest as of now. */
  journal(): Promise<void> {
    return writeManifest(this.tempDir, this.manifest());
  }

  /** The first log line of a session: where it records from, or which session it took over. */
  logStart(): void {
    const { user, adopt } = this.request;
    log.info(
      adopt
        ? "Adopted {user} in slot {slot}: {base}"
        : "Recording {user} in slot {slot} from {url}",
      { user, slot: this.context.slot?.index ?? "none", url: this.url, base: this.base },
    );
  }

  /** The capture loop's state change: slot state, the first data's journal entry, a log line. */
  async onState(state: "capturing" | "waiting"): Promise<void> {
    const { user } = this;
    await this.context.slot?.setState(state);
    if (state === "capturing" && !this.firstDataAt) await this.#firstData();
    if (state === "waiting" && this.networkTrouble) {
      log.warn(
        "Cannot reach the stream of {user}: {problem}; a network problem, not the channel going offline",
        { user, state, problem: this.networkTrouble },
      );
    } else {
      log.info(
        state === "capturing" ? "Stream data flowing" : "Stream not available; waiting",
        { user, state },
      );
    }
  }

  /** A part is complete and kept: journal it (no streamlink runs until the next part). */
  async onPart(path: string): Promise<void> {
    this.parts.push(path);
    this.capture = undefined;
    await this.journal();
  }

  /** Data came for the first time: journaled for `status`, announced, its lateness logged. */
  async #firstData(): Promise<void> {
    const { clock } = this.context;
    const stream = this.stream;
    this.firstDataAt = new Date(clock.now()).toISOString();
    await this.journal();
    notifyRecordingStarted(this.user, this.base, stream);
    if (stream) {
      log.info("First data {late} s after the broadcast {id} went live at {since}", {
        late: Math.round((clock.now() - Date.parse(stream.liveSince)) / 100) / 10,
        id: stream.id,
        since: stream.liveSince,
      });
    }
  }
}
