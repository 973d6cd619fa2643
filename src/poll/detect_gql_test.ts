import assert from "node:assert/strict";
import { TwitchApiError } from "../errors.ts";
import {
  GQL_ARCHIVE_QUERY,
  GQL_QUERY,
  GqlApi,
  gqlBatches,
  gqlRequestBody,
  parseGqlAnswer,
} from "./detect_gql.ts";
import { startGqlServer } from "../../testing/gql_server.ts";

const names = (n: number) => Array.from({ length: n }, (_, i) => `user_${i}`);

Deno.test("gqlBatches() splits 100 channels into 35 + 35 + 30 and never exceeds 35", () => {
  assert.deepEqual(gqlBatches(names(100), 35).map((b) => b.length), [35, 35, 30]);
  assert.deepEqual(gqlBatches(names(100), 500).map((b) => b.length), [35, 35, 30]);
  assert.deepEqual(gqlBatches(names(5), 2), [["user_0", "user_1"], ["user_2", "user_3"], [
    "user_4",
  ]]);
  assert.deepEqual(gqlBatches([], 35), []);
});

Deno.test("gqlRequestBody() is an array of plain queries, one per login", () => {
  assert.equal(
    JSON.stringify(gqlRequestBody(["a_1", "b_2"])),
    JSON.stringify([
      {
        query:
          "query($login: String!) { user(login: $login) { id login stream { id type createdAt title game { name } } } }",
        variables: { login: "a_1" },
      },
      { query: GQL_QUERY, variables: { login: "b_2" } },
    ]),
  );
});

Deno.test("parseGqlAnswer() reads live, offline and unknown channels", () => {
  const answer = parseGqlAnswer(["on_1", "off_1", "ghost_1"], [
    {
      data: {
        user: {
          login: "on_1",
          stream: {
            id: "4711",
            type: "live",
            createdAt: "2026-11-22T03:00:00Z",
            title: "hi",
            game: { name: "Chess" },
          },
        },
      },
    },
    { data: { user: { login: "off_1", stream: null } } },
    { data: { user: null } },
  ]);
  assert.deepEqual([...answer.live], [["on_1", {
    id: "4711",
    createdAt: "2026-11-22T03:00:00Z",
    type: "live",
    title: "hi",
    game: "Chess",
  }]]);
  assert.deepEqual(answer.unknown, ["ghost_1"]);
});

Deno.test("parseGqlAnswer() refuses malformed answers instead of calling channels offline", () => {
  const cases: [unknown, RegExp][] = [
    [{ data: {} }, /expected an array, got object/],
    [null, /expected an array, got null/],
    [[{ data: { user: null } }], /1 results for 2 channels/],
    [[{ errors: [{ message: "service timeout" }] }, { data: { user: null } }], /service timeout/],
    [[{ data: null }, { data: { user: null } }], /no data for "a_1"/],
    [[{ data: { user: { login: "a_1" } } }, { data: { user: null } }], /no user.stream/],
    [
      [{ data: { user: { stream: { id: 5, createdAt: "x" } } } }, { data: { user: null } }],
      /lacks id or createdAt/,
    ],
    [["nonsense", { data: { user: null } }], /no data for "a_1"/],
  ];
  for (const [body, message] of cases) {
    assert.throws(() => parseGqlAnswer(["a_1", "b_1"], body), (error: Error) => {
      assert.ok(error instanceof TwitchApiError, String(error));
      assert.match(error.message, message);
      return true;
    }, JSON.stringify(body));
  }
});

/** A fetch that answers like the endpoint, recording what it was sent. */
function fakeFetch(
  live: Set<string>,
  requests: { ops: number; headers: Headers }[],
  status = 200,
): typeof fetch {
  return (_url, init) => {
    const ops = JSON.parse(String(init?.body)) as { variables: { login: string } }[];
    requests.push({ ops: ops.length, headers: new Headers(init?.headers) });
    const body = ops.map(({ variables: { login } }) => ({
      data: {
        user: {
          login,
          stream: live.has(login) ? { id: `s-${login}`, createdAt: "2026-01-01T00:00:00Z" } : null,
        },
      },
    }));
    return Promise.resolve(new Response(JSON.stringify(body), { status }));
  };
}

Deno.test("GqlApi.lookup() sends 100 channels as 3 requests with the Client-ID and merges the answers", async () => {
  const requests: { ops: number; headers: Headers }[] = [];
  const api = new GqlApi(
    {
      url: "http://127.0.0.1:1/gql",
      clientId: "cid",
      batchSize: 35,
      concurrency: 2,
      timeoutMs: 1000,
    },
    fakeFetch(new Set(["user_3", "user_50", "user_99"]), requests),
  );
  const answer = await api.lookup(names(100), new AbortController().signal);
  assert.deepEqual([...answer.live.keys()].sort(), ["user_3", "user_50", "user_99"]);
  assert.deepEqual(answer.live.get("user_50"), {
    id: "s-user_50",
    createdAt: "2026-01-01T00:00:00Z",
  });
  assert.deepEqual(requests.map((r) => r.ops).sort(), [30, 35, 35]);
  assert.equal(requests[0]!.headers.get("Client-ID"), "cid");
});

Deno.test("GqlApi.lookup() turns an HTTP error or a hung answer into TwitchApiError", async () => {
  const failing = new GqlApi(
    {
      url: "http://127.0.0.1:1/gql",
      clientId: "cid",
      batchSize: 35,
      concurrency: 2,
      timeoutMs: 1000,
    },
    fakeFetch(new Set(), [], 500),
  );
  await assert.rejects(
    failing.lookup(names(3), new AbortController().signal),
    /HTTP 500 from "http:\/\/127\.0\.0\.1:1\/gql"/,
  );
  const hung = new GqlApi(
    {
      url: "http://127.0.0.1:1/gql",
      clientId: "cid",
      batchSize: 35,
      concurrency: 2,
      timeoutMs: 50,
    },
    (_url, init) =>
      new Promise((_, reject) =>
        init?.signal?.addEventListener("abort", () => reject(init.signal?.reason))
      ),
  );
  await assert.rejects(hung.lookup(names(3), new AbortController().signal), /within 0.05 s/);
});

Deno.test("parseGqlAnswer() takes a still-recording archive as the broadcast's VOD, nothing else", () => {
  const user = (status: string) => ({
    data: {
      user: {
        login: "v_1",
        stream: { id: "9", createdAt: "2026-11-22T03:00:00Z" },
        videos: { edges: [{ node: { id: "777", status } }] },
      },
    },
  });
  assert.equal(parseGqlAnswer(["v_1"], [user("RECORDING")]).live.get("v_1")?.vodId, "777");
  assert.equal(parseGqlAnswer(["v_1"], [user("RECORDED")]).live.get("v_1")?.vodId, undefined);
  assert.equal(gqlRequestBody(["v_1"])[0]?.query, GQL_QUERY);
  assert.equal(gqlRequestBody(["v_1"], true)[0]?.query, GQL_ARCHIVE_QUERY);
});

Deno.test("GqlApi asks for the archive video only when back-fill wants it", async () => {
  const server = startGqlServer();
  try {
    server.goLive("vod_1", "55");
    server.setVod("vod_1", "9001");
    const settings = {
      url: server.url,
      clientId: "x",
      batchSize: 35,
      concurrency: 1,
      timeoutMs: 5000,
    };
    const signal = new AbortController().signal;
    const plain = await new GqlApi(settings).lookup(["vod_1"], signal);
    assert.equal(plain.live.get("vod_1")?.vodId, undefined);
    const archive = await new GqlApi({ ...settings, archive: true }).lookup(["vod_1"], signal);
    assert.equal(archive.live.get("vod_1")?.vodId, "9001");
  } finally {
    await server.close();
  }
});
