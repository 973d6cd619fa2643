/**
 * A local stand-in for Twitch's GraphQL endpoint (HTTP on 127.0.0.1), speaking exactly the
 * batched shape the poller sends: a JSON array of `user(login:)` queries answered by an array of
 * `{"data": {"user": ...}}`. Switches make channels live/offline/unknown and the endpoint
 * fail the ways the real one does: HTTP 400 over 35 operations, 500s, slow or malformed answers.
 * Helix's token, streams, users and videos endpoints are served too. Used beside the live HLS server:
 * detection asks here, recorders record from there.
 */
import { GQL_ARCHIVE_QUERY, GQL_LOGIN_BY_ID_QUERY, GQL_QUERY } from "../src/poll/detect_gql.ts";

/** The client secret the fake Helix accepts. */
export const HELIX_SECRET = "fake-helix-secret";
const HELIX_TOKEN = "fake-app-token";

/** How the endpoint answers. */
export type GqlMode = "ok" | "error500" | "slow" | "malformed";

/** A running fake endpoint. */
export interface FakeGqlServer {
  /** `http://127.0.0.1:<port>/gql` */
  readonly url: string;
  /** Helix's base URL and token endpoint on the same server (secret {@link HELIX_SECRET}). */
  readonly helixUrl: string;
  readonly oauthUrl: string;
  /** App tokens handed out so far. */
  readonly tokens: number;
  /** Makes `user` live with this stream id; its `createdAt` is now unless given. */
  goLive(user: string, id?: string, createdAt?: string): void;
  goOffline(user: string): void;
  /** The title and game the API reports for `user` (default `<user> live`, `Testing`). */
  setTitle(user: string, title: string, game: string): void;
  /** The live broadcast of `user` has an archive video (VOD) `id` while it is live. */
  setVod(user: string, id: string): void;
  /** Twitch answers `user: null` for this channel. */
  setUnknown(user: string): void;
  /**
   * The channel `from` renames itself `to` on Twitch: `from` answers `user: null` from now on,
   * `to` answers with `from`'s user ID (and its live stream, if any).
   */
  rename(from: string, to: string): void;
  setMode(mode: GqlMode): void;
  /** How long a `slow` answer takes (default 30 s). */
  slowMs: number;
  /** Helix `/videos` (archive) requests answered so far. */
  readonly videoRequests: number;
  /** Helix `/users` requests answered so far (they are not in {@link requests}). */
  readonly userRequests: number;
  /** Requests answered so far, with their operation counts and Client-ID. */
  readonly requests: { readonly ops: number; readonly clientId: string | null }[];
  close(): Promise<void>;
}

/** The GraphQL error Twitch returns for an unexpected query; the fake accepts only ours. */
function rejectQuery(query: unknown): Response | undefined {
  if (query === GQL_QUERY || query === GQL_ARCHIVE_QUERY || query === GQL_LOGIN_BY_ID_QUERY) {
    return undefined;
  }
  return Response.json({ errors: [{ message: `unexpected query ${JSON.stringify(query)}` }] }, {
    status: 400,
  });
}

/** Starts the endpoint on a free loopback port. */
export function startGqlServer(): FakeGqlServer {
  const live = new Map<string, { id: string; createdAt: string }>();
  const unknown = new Set<string>();
  const titles = new Map<string, { title: string; game: string }>();
  const vods = new Map<string, string>();
  const requests: { ops: number; clientId: string | null }[] = [];
  let mode: GqlMode = "ok";
  let nextId = 1000;
  /** Logins whose user ID is not the default `uid-<login>` (renamed channels). */
  const userIds = new Map<string, string>();
  const idOf = (login: string) => userIds.get(login) ?? `uid-${login}`;
  /** The login a user ID answers to now; undefined for an ID Twitch does not know. */
  const loginOfId = (id: string): string | undefined => {
    const renamed = [...userIds].find(([, userId]) => userId === id)?.[0];
    if (renamed) return renamed;
    const login = id.replace(/^uid-/, "");
    return id.startsWith("uid-") && !unknown.has(login) && !userIds.has(login) ? login : undefined;
  };
  const closing = new AbortController();

  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    signal: closing.signal,
    onListen: () => {},
  }, async (request) => {
    const path = new URL(request.url).pathname;
    if (["/oauth2/token", "/helix/streams", "/helix/users", "/helix/videos"].includes(path)) {
      return helix(request, path);
    }
    if (path !== "/gql" || request.method !== "POST") {
      return new Response("not found", { status: 404 });
    }
    let body: unknown;
    try {
      body = await request.json();
    } catch {
      return Response.json({ error: "Bad Request", message: "invalid JSON" }, { status: 400 });
    }
    if (!Array.isArray(body)) {
      return Response.json({ error: "Bad Request", message: "expected an array" }, { status: 400 });
    }
    requests.push({ ops: body.length, clientId: request.headers.get("Client-ID") });
    if (body.length > 35) {
      return Response.json({
        error: "Bad Request",
        status: 400,
        message: "The batch request contains too many operations",
      }, { status: 400 });
    }
    if (mode === "error500") return new Response("upstream failure", { status: 500 });
    if (mode === "slow") {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, fake.slowMs);
        closing.signal.addEventListener("abort", () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    const answers = [];
    type Operation = { query?: unknown; variables?: { login?: unknown; id?: unknown } };
    for (const operation of body as Operation[]) {
      const rejected = rejectQuery(operation?.query);
      if (rejected) return rejected;
      if (operation.query === GQL_LOGIN_BY_ID_QUERY) {
        const id = String(operation.variables?.id ?? "");
        const owner = loginOfId(id);
        answers.push({ data: { user: owner ? { id, login: owner } : null } });
        continue;
      }
      const login = String(operation?.variables?.login ?? "");
      if (unknown.has(login)) {
        answers.push({ data: { user: null } });
        continue;
      }
      const stream = live.get(login);
      const vod = stream && vods.get(login);
      answers.push({
        data: {
          user: {
            id: idOf(login),
            login,
            ...(operation.query === GQL_ARCHIVE_QUERY
              ? { videos: { edges: vod ? [{ node: { id: vod, status: "RECORDING" } }] : [] } }
              : {}),
            stream: stream
              ? {
                ...stream,
                type: "live",
                title: titles.get(login)?.title ?? `${login} live`,
                game: { name: titles.get(login)?.game ?? "Testing" },
              }
              : null,
          },
        },
      });
    }
    if (mode === "malformed") return Response.json({ data: answers });
    return Response.json(answers);
  });

  /** Helix's token and streams endpoints, for `detect = "helix"`: one app, one token. */
  const helix = async (request: Request, path: string): Promise<Response> => {
    if (mode === "error500") return new Response("upstream failure", { status: 500 });
    if (path === "/oauth2/token") {
      const form = new URLSearchParams(await request.text());
      if (form.get("client_secret") !== HELIX_SECRET) {
        return Response.json({ status: 403, message: "invalid client secret" }, { status: 403 });
      }
      tokens++;
      return Response.json({ access_token: HELIX_TOKEN, expires_in: 5000000 });
    }
    if (request.headers.get("Authorization") !== `Bearer ${HELIX_TOKEN}`) {
      return Response.json({ status: 401, message: "Invalid OAuth token" }, { status: 401 });
    }
    if (path === "/helix/videos") {
      videoRequests++;
      const userId = new URL(request.url).searchParams.get("user_id") ?? "";
      const login = loginOfId(userId) ?? "";
      const vod = vods.get(login);
      const data = vod && live.has(login)
        ? [{ id: vod, stream_id: live.get(login)!.id, user_id: userId, type: "archive" }]
        : [];
      return Response.json({ data, pagination: {} });
    }
    if (path === "/helix/users") return helixUsers(new URL(request.url).searchParams);
    const logins = new URL(request.url).searchParams.getAll("user_login");
    requests.push({ ops: logins.length, clientId: request.headers.get("Client-Id") });
    if (logins.length > 100) return Response.json({ status: 400 }, { status: 400 });
    const data = logins.filter((login) => live.has(login) && !unknown.has(login)).map((login) => ({
      id: live.get(login)!.id,
      user_login: login,
      user_id: idOf(login),
      type: "live",
      started_at: live.get(login)!.createdAt,
      title: `${login} live`,
      game_name: "Testing",
    }));
    return Response.json({ data, pagination: {} });
  };
  /** `GET /users?login=..&id=..`: the users Twitch knows among those asked, at most 100. */
  const helixUsers = (params: URLSearchParams): Response => {
    userRequests++;
    const logins = params.getAll("login").filter((login) => !unknown.has(login));
    const byId = params.getAll("id").map(loginOfId).filter((login) => login !== undefined);
    if (params.getAll("login").length + params.getAll("id").length > 100) {
      return Response.json({ status: 400 }, { status: 400 });
    }
    const data = [...new Set([...logins, ...byId])].map((login) => ({
      id: idOf(login),
      login,
      display_name: login,
      type: "",
      broadcaster_type: "",
    }));
    return Response.json({ data });
  };
  let tokens = 0;
  let videoRequests = 0;
  let userRequests = 0;

  const fake: FakeGqlServer = {
    helixUrl: `http://127.0.0.1:${server.addr.port}/helix`,
    oauthUrl: `http://127.0.0.1:${server.addr.port}/oauth2/token`,
    get tokens() {
      return tokens;
    },
    get videoRequests() {
      return videoRequests;
    },
    get userRequests() {
      return userRequests;
    },
    url: `http://127.0.0.1:${server.addr.port}/gql`,
    slowMs: 30_000,
    requests,
    goLive(user, id, createdAt) {
      live.set(user, {
        id: id ?? String(nextId++),
        createdAt: createdAt ?? new Date().toISOString(),
      });
    },
    goOffline: (user) => void live.delete(user),
    setTitle: (user, title, game) => void titles.set(user, { title, game }),
    setVod: (user, id) => void vods.set(user, id),
    setUnknown: (user) => void unknown.add(user),
    rename(from, to) {
      userIds.set(to, idOf(from));
      userIds.delete(from);
      unknown.add(from);
      unknown.delete(to);
      const stream = live.get(from);
      live.delete(from);
      if (stream) live.set(to, stream);
    },
    setMode: (value) => void (mode = value),
    async close() {
      closing.abort();
      await server.finished;
    },
  };
  return fake;
}
