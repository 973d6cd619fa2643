/** The fake GraphQL endpoint answers the real client over real HTTP, in every mode. */
import assert from "node:assert/strict";
import { TwitchApiError } from "../src/errors.ts";
import { GqlApi, gqlRequestBody } from "../src/poll/detect_gql.ts";
import { HelixApi } from "../src/poll/detect_helix.ts";
import { systemClock } from "../src/util/clock.ts";
import { HELIX_SECRET, startGqlServer } from "./gql_server.ts";

const users = Array.from({ length: 100 }, (_, i) => `chan_${String(i).padStart(3, "0")}`);

Deno.test("the fake GraphQL endpoint answers GqlApi in batches, and fails the ways Twitch does", async () => {
  const server = startGqlServer();
  const signal = new AbortController().signal;
  const api = (timeoutMs = 5000, batchSize = 35) =>
    new GqlApi({ url: server.url, clientId: "cid", batchSize, concurrency: 3, timeoutMs });
  try {
    server.goLive("chan_007", "s7", "2026-11-22T03:00:00Z");
    server.goLive("chan_050");
    server.setUnknown("chan_099");
    const answer = await api().lookup(users, signal);
    assert.deepEqual([...answer.live.keys()].sort(), ["chan_007", "chan_050"]);
    assert.deepEqual(answer.live.get("chan_007"), {
      id: "s7",
      createdAt: "2026-11-22T03:00:00Z",
      type: "live",
      title: "chan_007 live",
      game: "Testing",
    });
    assert.deepEqual(answer.unknown, ["chan_099"]);
    assert.deepEqual(server.requests.map((r) => r.ops).sort(), [30, 35, 35]);
    assert.ok(server.requests.every((r) => r.clientId === "cid"));

    const tooMany = await fetch(server.url, {
      method: "POST",
      body: JSON.stringify(gqlRequestBody(users.slice(0, 36))),
    });
    assert.equal(tooMany.status, 400);
    await tooMany.body?.cancel();

    const cases: [Parameters<typeof server.setMode>[0], RegExp, number?][] = [
      ["error500", /HTTP 500 from "http:\/\/127\.0\.0\.1:\d+\/gql": upstream failure/],
      ["malformed", /Malformed GraphQL answer: expected an array, got object/],
      ["slow", /No answer from .* within 0.3 s/, 300],
    ];
    for (const [mode, message, timeoutMs] of cases) {
      server.setMode(mode);
      await assert.rejects(api(timeoutMs).lookup(users, signal), (error: Error) => {
        assert.ok(error instanceof TwitchApiError, String(error));
        assert.match(error.message, message);
        return true;
      }, mode);
    }
  } finally {
    await server.close();
  }
});

Deno.test("the fake Helix endpoints answer HelixApi: one token, 100 logins per request", async () => {
  const server = startGqlServer();
  const signal = new AbortController().signal;
  const api = (clientSecret: string) =>
    new HelixApi({
      helixUrl: server.helixUrl,
      oauthUrl: server.oauthUrl,
      clientId: "my-app",
      clientSecret,
      concurrency: 2,
      timeoutMs: 5000,
    }, systemClock);
  try {
    server.goLive("chan_042", "s42", "2026-11-22T03:00:00Z");
    const helix = api(HELIX_SECRET);
    const answer = await helix.lookup([...users, "chan_x01"], signal);
    assert.deepEqual([...answer.live.keys()], ["chan_042"]);
    assert.equal(answer.live.get("chan_042")?.createdAt, "2026-11-22T03:00:00Z");
    await helix.lookup(users, signal);
    assert.equal(server.tokens, 1);
    assert.deepEqual(server.requests.map((r) => r.ops).sort(), [1, 100, 100]);
    assert.ok(server.requests.every((r) => r.clientId === "my-app"));
    await assert.rejects(api("wrong").lookup(users, signal), (error: Error) => {
      assert.match(error.message, /HTTP 403 from .*oauth2\/token/);
      assert.doesNotMatch(error.message, /wrong/);
      return true;
    });
  } finally {
    await server.close();
  }
});
