/**
 * The poller's one question, "who of these is live?", behind a small interface. For Twitch
 * channels it is asked of Twitch's API (GraphQL by default, Helix with a registered app): one
 * request per 35 or 100 channels instead of one streamlink process (0.6 CPU-s) per channel,
 * which is what makes 15-30 s intervals affordable. When the API fails (HTTP error, timeout,
 * malformed answer) the cycle falls back to streamlink probes, so a broken or changed API
 * costs CPU, never a missed broadcast.
 */
import { getLogger } from "@logtape/logtape";
import type { Config } from "../config/config.ts";
import { API_POLL_INTERVAL } from "../config/schema.ts";
import { ConfigError } from "../errors.ts";
import type { ProbeResult } from "./probe_channels.ts";

const log = getLogger(["twitchtool", "poll"]);

/** What the API says about a live channel; id and start go into the session manifest. */
export interface StreamInfo {
  readonly id: string;
  /** When the broadcast started (ISO 8601, from Twitch). */
  readonly createdAt: string;
  readonly type?: string;
  readonly title?: string;
  readonly game?: string;
  /** The broadcast's in-progress archive video (VOD), asked only when back-fill is on. */
  readonly vodId?: string;
}

/** One API's answer: the live channels and the ones it does not know; all others are offline. */
export interface StreamsAnswer {
  readonly live: ReadonlyMap<string, StreamInfo>;
  readonly unknown: readonly string[];
  /** Each known login's Twitch user ID, when the API tells it (it survives a rename). */
  readonly ids?: ReadonlyMap<string, string>;
}

/** A Twitch API client; `lookup` throws a TwitchApiError when the answer cannot be trusted. */
export interface StreamsApi {
  readonly name: "gql" | "helix";
  lookup(users: readonly string[], signal: AbortSignal): Promise<StreamsAnswer>;
  /** The login each Twitch user ID answers to now (IDs Twitch does not know are left out). */
  loginsOf?(ids: readonly string[], signal: AbortSignal): Promise<Map<string, string>>;
}

/** Which detector answered a cycle. */
export type DetectorName = "gql" | "helix" | "streamlink";

/** What one cycle's detection found. */
export interface Detection {
  readonly detector: DetectorName;
  /** Every asked user that got an answer, except unknown channels. */
  readonly results: ReadonlyMap<string, ProbeResult>;
  /** Stream details of the live channels (API only). */
  readonly streams: ReadonlyMap<string, StreamInfo>;
  /** Channels the API does not know. */
  readonly unknown: readonly string[];
  /** Twitch user IDs of the asked channels, when the API told them. */
  readonly ids?: ReadonlyMap<string, string>;
  /** Why the API was not used this cycle (the detector is then `streamlink`). */
  readonly apiError?: string;
}

/** The interface the poller calls. */
export interface LiveDetector {
  detect(users: readonly string[], signal: AbortSignal): Promise<Detection>;
  /** The login each Twitch user ID answers to now (for following renames). */
  loginsOf?(ids: readonly string[], signal: AbortSignal): Promise<Map<string, string>>;
}

/** Probes every user with streamlink (bounded by `probe_concurrency`). */
export type ProbeAll = (
  users: readonly string[],
  signal: AbortSignal,
) => Promise<Map<string, ProbeResult>>;

/**
 * The API when there is one, streamlink probes when there is none or it fails. API failures
 * and unknown channels are logged once, not every cycle.
 */
export class FallbackDetector implements LiveDetector {
  #failing: string | undefined;
  readonly #reportedUnknown = new Set<string>();

  constructor(private readonly api: StreamsApi | undefined, private readonly probeAll: ProbeAll) {}

  async detect(users: readonly string[], signal: AbortSignal): Promise<Detection> {
    if (!this.api || users.length === 0) {
      return {
        detector: this.api?.name ?? "streamlink",
        results: await this.#probe(users, signal),
        streams: new Map(),
        unknown: [],
      };
    }
    let answer: StreamsAnswer;
    try {
      answer = await this.api.lookup(users, signal);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (this.#failing === undefined) {
        log.warn("Twitch API ({api}) failed: {error}; probing with streamlink until it answers", {
          api: this.api.name,
          error: message,
        });
      } else {
        log.debug("Twitch API ({api}) still failing: {error}", {
          api: this.api.name,
          error: message,
        });
      }
      this.#failing = message;
      if (signal.aborted) {
        return { detector: this.api.name, results: new Map(), streams: new Map(), unknown: [] };
      }
      return {
        detector: "streamlink",
        results: await this.#probe(users, signal),
        streams: new Map(),
        unknown: [],
        apiError: message,
      };
    }
    if (this.#failing !== undefined) {
      log.info("Twitch API ({api}) answers again", { api: this.api.name });
      this.#failing = undefined;
    }
    this.#reportUnknown(answer.unknown);
    const unknown = new Set(answer.unknown);
    const results = new Map<string, ProbeResult>();
    for (const user of users) {
      if (!unknown.has(user)) results.set(user, answer.live.has(user) ? "live" : "offline");
    }
    return {
      detector: this.api.name,
      results,
      streams: answer.live,
      unknown: users.filter((user) => unknown.has(user)),
      ...(answer.ids ? { ids: answer.ids } : {}),
    };
  }

  /** The login each of `ids` answers to now; empty without an API that can tell. */
  async loginsOf(ids: readonly string[], signal: AbortSignal): Promise<Map<string, string>> {
    if (!this.api?.loginsOf || ids.length === 0) return new Map();
    return await this.api.loginsOf(ids, signal);
  }

  #probe(users: readonly string[], signal: AbortSignal): Promise<Map<string, ProbeResult>> {
    return users.length === 0 ? Promise.resolve(new Map()) : this.probeAll(users, signal);
  }

  #reportUnknown(unknown: readonly string[]): void {
    for (const user of unknown) {
      if (this.#reportedUnknown.has(user)) continue;
      this.#reportedUnknown.add(user);
      log.warn("Twitch does not know the channel {user}: skipping it", { user });
    }
  }
}

/** Whether a `url_template` points at twitch.tv (then `auto` uses the API). */
export function isTwitchUrl(urlTemplate: string): boolean {
  try {
    const host = new URL(urlTemplate.replaceAll("{user}", "x")).hostname.toLowerCase();
    return host === "twitch.tv" || host.endsWith(".twitch.tv");
  } catch {
    return false;
  }
}

/**
 * The detector `[twitch] detect` selects: `auto` means the API for Twitch URLs (Helix when a
 * client secret is set, else GraphQL) and streamlink probes for any other `url_template`.
 * `gql`/`helix` force the API whatever the URL (tests record from a local server that way).
 */
export function chooseDetector(config: Config): DetectorName {
  const { detect, clientSecret } = config.twitch;
  if (detect === "helix" && !clientSecret) {
    throw new ConfigError(
      'Cannot use "twitch.detect" = "helix": "twitch.client_secret" is not set (Helix needs a registered app)',
    );
  }
  if (detect !== "auto") return detect;
  if (!isTwitchUrl(config.streamlink.urlTemplate)) return "streamlink";
  return clientSecret ? "helix" : "gql";
}

/** Shortest interval accepted against Twitch's own hosts. */
export const API_MIN_INTERVAL = 15;

/**
 * Seconds between cycles: 30 s by default with the API (a cycle costs almost nothing), the
 * configured/original 300 s with streamlink probes. Against Twitch's own hosts the API is not
 * asked more often than every 15 s (a local or proxy URL may be polled faster).
 */
export function pollInterval(config: Config, detector: DetectorName): number {
  const { interval, intervalSet } = config.poller;
  if (detector === "streamlink") return interval;
  const seconds = intervalSet ? interval : API_POLL_INTERVAL;
  if (seconds >= API_MIN_INTERVAL) return seconds;
  const url = detector === "gql" ? config.twitch.gqlUrl : config.twitch.helixUrl;
  return isTwitchUrl(url) ? API_MIN_INTERVAL : seconds;
}
