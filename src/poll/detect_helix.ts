/**
 * Who is live, asked of Twitch's documented Helix API, for users with a registered app
 * (`client_id` + `client_secret`). The app token comes from the client-credentials grant, is
 * kept until shortly before it expires and fetched again once when Helix answers 401 (tokens
 * can be revoked early). `GET /streams` takes up to 100 logins per request and lists only the
 * live ones, so the logins it did not list are asked of `GET /users?login=` (one more request per
 * 100): a login missing there is unknown, and every known one's user ID is learned. That is what
 * follows a channel through a rename, as with GraphQL: a login that stops resolving is looked up
 * by its ID (`GET /users?id=`), which answers the login it goes by now.
 */
import { TwitchApiError } from "../errors.ts";
import { getLogger } from "@logtape/logtape";
import type { Clock } from "../util/clock.ts";
import { chunks, mapLimit } from "../util/map_limit.ts";
import { requestJson } from "./request_json.ts";
import type { StreamInfo, StreamsAnswer, StreamsApi } from "./detect_live.ts";

const log = getLogger(["twitchtool", "poll"]);

/** Logins per `GET /streams` or `GET /users` request (Helix's maximum). */
export const HELIX_MAX_BATCH = 100;

/** Renew the token this long before Twitch says it expires. */
const TOKEN_MARGIN_MS = 60_000;

/** Where and how to reach Helix. */
export interface HelixSettings {
  readonly helixUrl: string;
  readonly oauthUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly concurrency: number;
  readonly timeoutMs: number;
  /** Also ask for each live broadcast's archive video (`[twitch] backfill`). */
  readonly archive?: boolean;
}

/** The `GET /videos` URL for a user's newest archive video. */
export function helixArchiveUrl(base: string, userId: string): string {
  const url = new URL(`${base.replace(/\/+$/, "")}/videos`);
  url.searchParams.set("user_id", userId);
  url.searchParams.set("type", "archive");
  url.searchParams.set("first", "1");
  return url.toString();
}

/** The newest archive's id when it belongs to broadcast `streamId` (its `stream_id`). */
export function parseHelixArchive(streamId: string, body: unknown): string | undefined {
  const data = (body as { data?: unknown } | null)?.data;
  const video = Array.isArray(data) ? data[0] as Record<string, unknown> | undefined : undefined;
  return typeof video?.id === "string" && video.stream_id === streamId ? video.id : undefined;
}

/** The `GET /users` URL for up to 100 logins (`key` "login") or user IDs (`key` "id"). */
export function helixUsersUrl(
  base: string,
  key: "login" | "id",
  values: readonly string[],
): string {
  const url = new URL(`${base.replace(/\/+$/, "")}/users`);
  for (const value of values) url.searchParams.append(key, value);
  return url.toString();
}

/**
 * Reads a `GET /users` answer: each listed user's login (lower case) and ID. Users Twitch does
 * not know (renamed, deleted, banned) are simply not listed.
 */
export function parseHelixUsers(body: unknown): Map<string, string> {
  const data = (body as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) throw new TwitchApiError("Malformed Helix answer: no data array");
  const users = new Map<string, string>();
  for (const entry of data as Record<string, unknown>[]) {
    if (typeof entry?.login !== "string" || !entry.login || typeof entry.id !== "string") {
      throw new TwitchApiError("Malformed Helix answer: a user lacks id or login");
    }
    users.set(entry.login.toLowerCase(), entry.id);
  }
  return users;
}

/** The `GET /streams` URL for up to 100 logins. */
export function helixStreamsUrl(base: string, logins: readonly string[]): string {
  const url = new URL(`${base.replace(/\/+$/, "")}/streams`);
  url.searchParams.set("first", String(HELIX_MAX_BATCH));
  for (const login of logins) url.searchParams.append("user_login", login);
  return url.toString();
}

/** Reads a `GET /streams` answer: the live streams among `batch`. */
export function parseHelixStreams(
  batch: readonly string[],
  body: unknown,
): StreamsAnswer & { readonly live: ReadonlyMap<string, StreamInfo & { userId?: string }> } {
  const data = (body as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) throw new TwitchApiError("Malformed Helix answer: no data array");
  const wanted = new Set(batch);
  const live = new Map<string, StreamInfo & { userId?: string }>();
  for (const entry of data as Record<string, unknown>[]) {
    const login = typeof entry?.user_login === "string" ? entry.user_login.toLowerCase() : "";
    if (typeof entry?.id !== "string" || typeof entry.started_at !== "string" || !login) {
      throw new TwitchApiError("Malformed Helix answer: a stream lacks id, started_at or login");
    }
    if (!wanted.has(login)) continue;
    live.set(login, {
      id: entry.id,
      createdAt: entry.started_at,
      ...(typeof entry.user_id === "string" ? { userId: entry.user_id } : {}),
      ...(typeof entry.type === "string" ? { type: entry.type } : {}),
      ...(typeof entry.title === "string" ? { title: entry.title } : {}),
      ...(typeof entry.game_name === "string" ? { game: entry.game_name } : {}),
    });
  }
  return { live, unknown: [] };
}

/** The Helix detector with its cached app token. */
export class HelixApi implements StreamsApi {
  readonly name = "helix";
  #token: { value: string; expiresAt: number } | undefined;
  /** The token request in flight, shared by parallel batches. */
  #fetching: Promise<string> | undefined;
  /**
   * Archive videos found, by stream id: a broadcast's archive never changes, so it is asked for
   * until found, then not every cycle. Only broadcasts live in the last lookup are kept.
   */
  readonly #archives = new Map<string, string>();

  constructor(
    private readonly settings: HelixSettings,
    private readonly clock: Clock,
    private readonly fetcher: typeof fetch = fetch,
  ) {}

  /** Asks about every user, 100 per request; throws {@link TwitchApiError} on any failure. */
  async lookup(users: readonly string[], signal: AbortSignal): Promise<StreamsAnswer> {
    const answers = await mapLimit(
      chunks(users, HELIX_MAX_BATCH),
      this.settings.concurrency,
      (batch) => this.#ask(batch, signal),
      signal,
    );
    const live = new Map<string, StreamInfo>();
    const ids = new Map<string, string>();
    const unknown: string[] = [];
    for (const answer of answers) {
      for (const [user, info] of answer?.live ?? []) live.set(user, info);
      for (const [user, id] of answer?.ids ?? []) ids.set(user, id);
      unknown.push(...answer?.unknown ?? []);
    }
    const liveIds = new Set([...live.values()].map((info) => info.id));
    for (const id of this.#archives.keys()) if (!liveIds.has(id)) this.#archives.delete(id);
    return { live, unknown, ids };
  }

  /**
   * The login each of `ids` answers to now (`GET /users?id=`, 100 per request); IDs Twitch does
   * not know are left out. Throws {@link TwitchApiError} on any failure.
   */
  async loginsOf(ids: readonly string[], signal: AbortSignal): Promise<Map<string, string>> {
    const logins = new Map<string, string>();
    for (const batch of chunks(ids, HELIX_MAX_BATCH)) {
      const url = helixUsersUrl(this.settings.helixUrl, "id", batch);
      for (const [login, id] of parseHelixUsers(await this.#authed(url, signal))) {
        logins.set(id, login);
      }
    }
    return logins;
  }

  async #ask(batch: readonly string[], signal: AbortSignal): Promise<StreamsAnswer> {
    const url = helixStreamsUrl(this.settings.helixUrl, batch);
    const answer = parseHelixStreams(batch, await this.#authed(url, signal));
    const live = new Map<string, StreamInfo>();
    const ids = new Map<string, string>();
    for (const [login, { userId, ...stream }] of answer.live) {
      if (userId) ids.set(login, userId);
      const vodId = userId && this.settings.archive
        ? await this.#archive(userId, stream.id, signal)
        : undefined;
      live.set(login, { ...stream, ...(vodId ? { vodId } : {}) });
    }
    const offline = batch.filter((login) => !live.has(login));
    const known = await this.#known(offline, signal);
    for (const [login, id] of known ?? []) ids.set(login, id);
    const unknown = known ? offline.filter((login) => !known.has(login)) : [];
    return { live, unknown, ids };
  }

  /**
   * The IDs of the `offline` logins that Twitch knows; undefined when `GET /users` fails: the
   * live channels are known from `/streams` already, and the lookup is retried next cycle.
   */
  async #known(offline: readonly string[], signal: AbortSignal) {
    if (offline.length === 0) return new Map<string, string>();
    try {
      const url = helixUsersUrl(this.settings.helixUrl, "login", offline);
      return parseHelixUsers(await this.#authed(url, signal));
    } catch (error) {
      if (signal.aborted) throw error;
      log.debug("Cannot ask Helix which channels exist: {error}", {
        error: (error as Error).message,
      });
      return undefined;
    }
  }

  /** A Helix GET with the app token, asked again once with a new token after a 401. */
  async #authed(url: string, signal: AbortSignal): Promise<unknown> {
    try {
      return await this.#get(url, await this.#appToken(signal), signal);
    } catch (error) {
      if (!(error instanceof TwitchApiError) || !/^HTTP 401 /.test(error.message)) throw error;
      this.#token = undefined;
      return await this.#get(url, await this.#appToken(signal), signal);
    }
  }

  /** The running broadcast's archive video; undefined (never an error) when none is found. */
  async #archive(userId: string, streamId: string, signal: AbortSignal) {
    const known = this.#archives.get(streamId);
    if (known) return known;
    try {
      const url = helixArchiveUrl(this.settings.helixUrl, userId);
      const found = parseHelixArchive(streamId, await this.#authed(url, signal));
      if (found) this.#archives.set(streamId, found);
      return found;
    } catch {
      return undefined;
    }
  }

  #get(url: string, token: string, signal: AbortSignal): Promise<unknown> {
    return requestJson(
      this.fetcher,
      url,
      {
        headers: { "Client-Id": this.settings.clientId, "Authorization": `Bearer ${token}` },
      },
      this.settings.timeoutMs,
      signal,
      [token],
    );
  }

  /** The cached app token, fetched by client credentials when missing or about to expire. */
  #appToken(signal: AbortSignal): Promise<string> {
    const now = this.clock.now();
    if (this.#token && this.#token.expiresAt - TOKEN_MARGIN_MS > now) {
      return Promise.resolve(this.#token.value);
    }
    this.#fetching ??= this.#fetchToken(now, signal).finally(() => this.#fetching = undefined);
    return this.#fetching;
  }

  async #fetchToken(now: number, signal: AbortSignal): Promise<string> {
    const form = new URLSearchParams({
      client_id: this.settings.clientId,
      client_secret: this.settings.clientSecret,
      grant_type: "client_credentials",
    });
    const body = await requestJson(
      this.fetcher,
      this.settings.oauthUrl,
      {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: form.toString(),
      },
      this.settings.timeoutMs,
      signal,
      [
        this.settings.clientSecret,
        new URLSearchParams({ s: this.settings.clientSecret }).toString().slice(2),
      ],
    ) as { access_token?: unknown; expires_in?: unknown };
    if (typeof body?.access_token !== "string" || typeof body.expires_in !== "number") {
      throw new TwitchApiError(
        `Malformed token answer from "${this.settings.oauthUrl}": no access_token/expires_in`,
      );
    }
    this.#token = { value: body.access_token, expiresAt: now + body.expires_in * 1000 };
    return body.access_token;
  }
}
