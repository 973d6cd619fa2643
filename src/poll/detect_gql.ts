/**
 * Who is live, asked of Twitch's web GraphQL endpoint with the public web Client-ID (the one
 * streamlink sends), so no registered app is needed. One request carries a JSON array of plain
 * queries, one per channel: plain queries need neither persisted-query hashes (which rotate)
 * nor integrity tokens, and Twitch answers HTTP 400 to arrays over 35 operations, hence the
 * batch ceiling. A cycle over 100 channels is 3 small HTTPS requests instead of 100 streamlink
 * processes.
 */
import { TwitchApiError } from "../errors.ts";
import { chunks, mapLimit } from "../util/map_limit.ts";
import { isJsonObject } from "../util/is_json_object.ts";
import { requestJson } from "./request_json.ts";
import type { StreamInfo, StreamsAnswer, StreamsApi } from "./detect_live.ts";

/** The one query sent per channel, exactly as Twitch's web client would accept it. */
export const GQL_QUERY =
  "query($login: String!) { user(login: $login) { id login stream { id type createdAt title game { name } } } }";

/**
 * The login a Twitch user ID answers to now: a channel renamed on Twitch keeps its ID, so the
 * poller follows it to its new login instead of losing it as "unknown".
 */
export const GQL_LOGIN_BY_ID_QUERY = "query($id: ID!) { user(id: $id) { id login } }";

/**
 * {@link GQL_QUERY} plus the channel's newest archive video, asked only with `[twitch] backfill`
 * on: an archive whose `status` is `RECORDING` is the running broadcast's VOD.
 */
export const GQL_ARCHIVE_QUERY =
  "query($login: String!) { user(login: $login) { id login stream { id type createdAt title game { name } } videos(first: 1, type: ARCHIVE, sort: TIME) { edges { node { id status } } } } }";

/** Operations per request Twitch accepts (36 answers HTTP 400). */
export const GQL_MAX_BATCH = 35;

/** One operation of a batched request. */
export interface GqlOperation {
  readonly query: string;
  readonly variables: { readonly login: string };
}

/** Splits `users` into batches of at most `size` (capped at {@link GQL_MAX_BATCH}). */
export function gqlBatches(users: readonly string[], size: number): string[][] {
  return chunks(users, Math.min(size, GQL_MAX_BATCH));
}

/** The request body of one batch: a JSON array with one plain query per login. */
export function gqlRequestBody(batch: readonly string[], archive = false): GqlOperation[] {
  const query = archive ? GQL_ARCHIVE_QUERY : GQL_QUERY;
  return batch.map((login) => ({ query, variables: { login } }));
}

/** The id of `user.videos`' newest archive when it is still recording (the live broadcast's). */
function recordingArchive(user: Record<string, unknown>): string | undefined {
  const videos = user.videos as { edges?: { node?: { id?: unknown; status?: unknown } }[] };
  const node = Array.isArray(videos?.edges) ? videos.edges[0]?.node : undefined;
  return typeof node?.id === "string" && node.status === "RECORDING" ? node.id : undefined;
}

/**
 * Reads the answer to {@link gqlRequestBody}`(batch)`: one `{"data": {"user": ...}}` per
 * operation, in order. A `null` user is an unknown channel, a `null` stream an offline one.
 * Anything else (not an array, wrong length, GraphQL errors, a stream without id/createdAt)
 * throws {@link TwitchApiError}: guessing "offline" would silently miss a broadcast.
 */
export function parseGqlAnswer(batch: readonly string[], body: unknown): StreamsAnswer {
  const fail = (detail: string) => new TwitchApiError(`Malformed GraphQL answer: ${detail}`);
  if (!Array.isArray(body)) throw fail(`expected an array, got ${describe(body)}`);
  if (body.length !== batch.length) {
    throw fail(`${body.length} results for ${batch.length} channels`);
  }
  const live = new Map<string, StreamInfo>();
  const unknown: string[] = [];
  const ids = new Map<string, string>();
  batch.forEach((login, index) => {
    const item = body[index] as { data?: { user?: unknown }; errors?: unknown } | null;
    if (!isJsonObject(item) || !isJsonObject(item.data) || !("user" in item.data)) {
      const errors = isJsonObject(item) && Array.isArray(item.errors)
        ? `: ${errorMessages(item.errors)}`
        : "";
      throw fail(`no data for "${login}"${errors}`);
    }
    const user = item.data.user;
    if (user === null) {
      unknown.push(login);
      return;
    }
    if (!isJsonObject(user) || !("stream" in user)) throw fail(`no user.stream for "${login}"`);
    if (typeof user.id === "string") ids.set(login, user.id);
    const stream = user.stream;
    if (stream === null) return;
    if (
      !isJsonObject(stream) || typeof stream.id !== "string" || typeof stream.createdAt !== "string"
    ) {
      throw fail(`stream of "${login}" lacks id or createdAt`);
    }
    // "live" is a broadcast; reruns and premieres are streams too and streamlink records them.
    const game = isJsonObject(stream.game) && typeof stream.game.name === "string"
      ? stream.game.name
      : undefined;
    const vodId = recordingArchive(user);
    live.set(login, {
      id: stream.id,
      createdAt: stream.createdAt,
      ...(vodId ? { vodId } : {}),
      ...(typeof stream.type === "string" ? { type: stream.type } : {}),
      ...(typeof stream.title === "string" ? { title: stream.title } : {}),
      ...(game !== undefined ? { game } : {}),
    });
  });
  return { live, unknown, ids };
}

/**
 * Reads the answer to a batch of {@link GQL_LOGIN_BY_ID_QUERY}: the login each ID answers to,
 * leaving out IDs Twitch does not know (a deleted or banned account).
 */
export function parseLoginsById(ids: readonly string[], body: unknown): Map<string, string> {
  if (!Array.isArray(body) || body.length !== ids.length) {
    throw new TwitchApiError(`Malformed GraphQL answer: expected ${ids.length} users by id`);
  }
  const logins = new Map<string, string>();
  ids.forEach((id, index) => {
    const item = body[index] as { data?: { user?: { login?: unknown } | null } } | null;
    const login = item?.data?.user?.login;
    if (typeof login === "string" && login !== "") logins.set(id, login.toLowerCase());
  });
  return logins;
}

/** Where and how to reach the GraphQL endpoint. */
export interface GqlSettings {
  readonly url: string;
  readonly clientId: string;
  readonly batchSize: number;
  /** Requests in flight at once (`probe_concurrency`). */
  readonly concurrency: number;
  readonly timeoutMs: number;
  /** Also ask for the running broadcast's archive video (`[twitch] backfill`). */
  readonly archive?: boolean;
}

/** The GraphQL detector: batches in parallel, every answer checked. */
export class GqlApi implements StreamsApi {
  readonly name = "gql";

  constructor(
    private readonly settings: GqlSettings,
    private readonly fetcher: typeof fetch = fetch,
  ) {}

  /** Asks about every user; throws {@link TwitchApiError} when any batch fails. */
  async lookup(users: readonly string[], signal: AbortSignal): Promise<StreamsAnswer> {
    const answers = await mapLimit(
      gqlBatches(users, this.settings.batchSize),
      this.settings.concurrency,
      (batch) => this.#ask(batch, signal),
      signal,
    );
    const live = new Map<string, StreamInfo>();
    const unknown: string[] = [];
    const ids = new Map<string, string>();
    for (const answer of answers) {
      if (!answer) continue;
      for (const [user, info] of answer.live) live.set(user, info);
      for (const [user, id] of answer.ids ?? []) ids.set(user, id);
      unknown.push(...answer.unknown);
    }
    return { live, unknown, ids };
  }

  /** The login each of `ids` answers to now (see {@link GQL_LOGIN_BY_ID_QUERY}). */
  async loginsOf(ids: readonly string[], signal: AbortSignal): Promise<Map<string, string>> {
    const logins = new Map<string, string>();
    for (const batch of gqlBatches(ids, this.settings.batchSize)) {
      const body = await requestJson(
        this.fetcher,
        this.settings.url,
        {
          method: "POST",
          headers: { "Client-ID": this.settings.clientId, "Content-Type": "application/json" },
          body: JSON.stringify(
            batch.map((id) => ({ query: GQL_LOGIN_BY_ID_QUERY, variables: { id } })),
          ),
        },
        this.settings.timeoutMs,
        signal,
      );
      for (const [id, login] of parseLoginsById(batch, body)) logins.set(id, login);
    }
    return logins;
  }

  async #ask(batch: readonly string[], signal: AbortSignal): Promise<StreamsAnswer> {
    const body = await requestJson(
      this.fetcher,
      this.settings.url,
      {
        method: "POST",
        headers: { "Client-ID": this.settings.clientId, "Content-Type": "application/json" },
        body: JSON.stringify(gqlRequestBody(batch, this.settings.archive)),
      },
      this.settings.timeoutMs,
      signal,
    );
    return parseGqlAnswer(batch, body);
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  return Array.isArray(value) ? "an array" : typeof value;
}

function errorMessages(errors: unknown[]): string {
  return errors.map((e) => isJsonObject(e) && typeof e.message === "string" ? e.message : "?")
    .join("; ");
}
