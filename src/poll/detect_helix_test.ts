import assert from "node:assert/strict";
import { FakeClock } from "../../testing/fake_clock.ts";
import {
  HelixApi,
  helixArchiveUrl,
  helixStreamsUrl,
  helixUsersUrl,
  parseHelixArchive,
  parseHelixStreams,
  parseHelixUsers,
} from "./detect_helix.ts";
import { HELIX_SECRET, startGqlServer } from "../../testing/gql_server.ts";

Deno.test("helixStreamsUrl() lists every login", () => {
  assert.equal(
    helixStreamsUrl("https://api.twitch.tv/helix/", ["a_1", "b_2"]),
    "https://api.twitch.tv/helix/streams?first=100&user_login=a_1&user_login=b_2",
  );
});

Deno.test("parseHelixStreams() reads the live streams and refuses malformed answers", () => {
  const answer = parseHelixStreams(["a_1", "b_2"], {
    data: [{ id: "9", user_login: "A_1", started_at: "2026-01-01T00:00:00Z", game_name: "Go" }],
  });
  assert.deepEqual([...answer.live], [["a_1", {
    id: "9",
    createdAt: "2026-01-01T00:00:00Z",
    game: "Go",
  }]]);
  assert.throws(() => parseHelixStreams(["a_1"], { streams: [] }), /no data array/);
  assert.throws(() => parseHelixStreams(["a_1"], { data: [{ user_login: "a_1" }] }), /lacks id/);
});

Deno.test("HelixApi fetches one app token, reuses it, renews it when it expires or Helix answers 401", async () => {
  const clock = new FakeClock();
  const calls: string[] = [];
  let tokens = 0;
  let revoked = "";
  const fetcher: typeof fetch = (url, init) => {
    const href = String(url);
    if (href.startsWith("http://auth")) {
      const form = new URLSearchParams(String(init?.body));
      assert.equal(form.get("client_secret"), "s3cret");
      assert.equal(form.get("grant_type"), "client_credentials");
      calls.push("token");
      return Promise.resolve(
        Response.json({ access_token: `tok${++tokens}`, expires_in: 3600 }),
      );
    }
    const auth = new Headers(init?.headers).get("Authorization");
    calls.push(`${new URL(href).pathname.split("/").at(-1)} ${auth}`);
    if (auth === `Bearer ${revoked}`) {
      return Promise.resolve(new Response("invalid token", { status: 401 }));
    }
    const logins = new URL(href).searchParams.getAll("user_login");
    return Promise.resolve(Response.json({
      data: logins.filter((l) => l === "on_1").map((l) => ({
        id: "1",
        user_login: l,
        started_at: "2026-01-01T00:00:00Z",
      })),
    }));
  };
  const api = new HelixApi(
    {
      helixUrl: "http://api/helix",
      oauthUrl: "http://auth/token",
      clientId: "cid",
      clientSecret: "s3cret",
      concurrency: 2,
      timeoutMs: 1000,
    },
    clock,
    fetcher,
  );
  const signal = new AbortController().signal;
  const users = ["on_1", ...Array.from({ length: 150 }, (_, i) => `off_${i}`)];
  const first = await api.lookup(users, signal);
  assert.deepEqual([...first.live.keys()], ["on_1"]);
  assert.deepEqual(calls.filter((c) => c === "token").length, 1, "one token for two requests");
  assert.equal(calls.filter((c) => c.startsWith("streams")).length, 2, "151 logins = 2 requests");
  assert.equal(calls.filter((c) => c.startsWith("users")).length, 2, "150 offline = 2 requests");
  assert.equal(first.unknown.length, 150, "the mock knows no user");

  clock.time = 3_600_000;
  calls.length = 0;
  await api.lookup(["on_1"], signal);
  assert.deepEqual(calls, ["token", "streams Bearer tok2"], "renewed at expiry");

  revoked = "tok2";
  calls.length = 0;
  await api.lookup(["on_1"], signal);
  assert.deepEqual(calls, ["streams Bearer tok2", "token", "streams Bearer tok3"]);
});

Deno.test("HelixApi never puts the client secret into an error, even when the server echoes it", async () => {
  const api = new HelixApi(
    {
      helixUrl: "http://api/helix",
      oauthUrl: "http://auth/token",
      clientId: "cid",
      clientSecret: "s3cret-value",
      concurrency: 1,
      timeoutMs: 1000,
    },
    new FakeClock(),
    (_url, init) =>
      Promise.resolve(
        new Response(`invalid client: ${init?.body}`, { status: 403 }),
      ),
  );
  await assert.rejects(api.lookup(["a_1"], new AbortController().signal), (error: Error) => {
    assert.match(error.message, /HTTP 403 from "http:\/\/auth\/token"/);
    assert.match(error.message, /client_secret=\*\*\*/);
    assert.doesNotMatch(error.message, /s3cret/);
    return true;
  });
});

Deno.test("parseHelixArchive() takes the newest archive only when it is this broadcast's", () => {
  assert.equal(parseHelixArchive("9", { data: [{ id: "123", stream_id: "9" }] }), "123");
  assert.equal(parseHelixArchive("9", { data: [{ id: "123", stream_id: "8" }] }), undefined);
  assert.equal(parseHelixArchive("9", { data: [] }), undefined);
  assert.equal(
    helixArchiveUrl("https://api.twitch.tv/helix", "42"),
    "https://api.twitch.tv/helix/videos?user_id=42&type=archive&first=1",
  );
});

Deno.test("HelixApi reports the archive video of a live broadcast when back-fill wants it", async () => {
  const server = startGqlServer();
  try {
    server.goLive("vod_2", "66");
    server.setVod("vod_2", "9002");
    const settings = {
      helixUrl: server.helixUrl,
      oauthUrl: server.oauthUrl,
      clientId: "x",
      clientSecret: HELIX_SECRET,
      concurrency: 1,
      timeoutMs: 5000,
    };
    const clock = new FakeClock();
    const signal = new AbortController().signal;
    const plain = await new HelixApi(settings, clock).lookup(["vod_2"], signal);
    assert.equal(plain.live.get("vod_2")?.vodId, undefined);
    // The user ID of a live channel is told, for following renames.
    assert.deepEqual([...plain.ids ?? []], [["vod_2", "uid-vod_2"]]);
    const archive = await new HelixApi({ ...settings, archive: true }, clock).lookup(
      ["vod_2"],
      signal,
    );
    assert.equal(archive.live.get("vod_2")?.vodId, "9002");
    assert.equal(archive.live.get("vod_2")?.id, "66");

    // A broadcast's archive is asked for once, not every cycle; the next broadcast's anew.
    const api = new HelixApi({ ...settings, archive: true }, clock);
    const asked = server.videoRequests;
    for (let cycle = 0; cycle < 3; cycle++) {
      assert.equal((await api.lookup(["vod_2"], signal)).live.get("vod_2")?.vodId, "9002");
    }
    assert.equal(server.videoRequests - asked, 1);
    server.goLive("vod_2", "67");
    server.setVod("vod_2", "9003");
    assert.equal((await api.lookup(["vod_2"], signal)).live.get("vod_2")?.vodId, "9003");
    assert.equal(server.videoRequests - asked, 2);
  } finally {
    await server.close();
  }
});

Deno.test("parseHelixUsers() reads each user's login and ID and refuses malformed answers", () => {
  assert.equal(
    helixUsersUrl("https://api.twitch.tv/helix/", "id", ["1", "2"]),
    "https://api.twitch.tv/helix/users?id=1&id=2",
  );
  assert.deepEqual(
    [...parseHelixUsers({ data: [{ id: "7", login: "New_Name", display_name: "New_Name" }] })],
    [["new_name", "7"]],
  );
  assert.throws(() => parseHelixUsers({ users: [] }), /no data array/);
  assert.throws(() => parseHelixUsers({ data: [{ login: "a" }] }), /lacks id or login/);
});

Deno.test("HelixApi tells unknown logins and every known one's ID, and the login an ID answers to after a rename", async () => {
  const server = startGqlServer();
  try {
    const api = new HelixApi({
      helixUrl: server.helixUrl,
      oauthUrl: server.oauthUrl,
      clientId: "x",
      clientSecret: HELIX_SECRET,
      concurrency: 1,
      timeoutMs: 5000,
    }, new FakeClock());
    const signal = new AbortController().signal;
    server.goLive("on_air", "5");
    server.setUnknown("gone_1");
    const first = await api.lookup(["on_air", "quiet", "gone_1"], signal);
    assert.deepEqual([...first.live.keys()], ["on_air"]);
    assert.deepEqual(first.unknown, ["gone_1"]);
    assert.deepEqual(
      [...first.ids ?? []].sort(),
      [["on_air", "uid-on_air"], ["quiet", "uid-quiet"]],
    );

    server.rename("quiet", "loud");
    const after = await api.lookup(["quiet"], signal);
    assert.deepEqual(after.unknown, ["quiet"], "the old login no longer resolves");
    assert.deepEqual([...await api.loginsOf(["uid-quiet", "999"], signal)], [[
      "uid-quiet",
      "loud",
    ]]);

    // A failing /users costs the unknown list of one cycle, never the live channels.
    server.setMode("error500");
    await assert.rejects(api.lookup(["on_air"], signal), /HTTP 500/);
  } finally {
    await server.close();
  }
});
