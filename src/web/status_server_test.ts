import assert from "node:assert/strict";
import { samplePage } from "../../testing/page_fixture.ts";
import type { SnapshotCache } from "./snapshot_cache.ts";
import { answer, type StatusServerOptions } from "./status_server.ts";

const TOKEN = "0123456789abcdef-token";

function options(token?: string): StatusServerOptions {
  const cache = { current: samplePage() } as unknown as SnapshotCache;
  return {
    address: { hostname: "127.0.0.1", port: 1, loopback: true },
    token,
    cache,
    signal: new AbortController().signal,
  };
}

Deno.test("answer() serves status, page and metrics read-only from the cache", async () => {
  const get = (path: string, init?: RequestInit) =>
    answer(
      new Request(`http://h${path}`, { headers: { host: "localhost:1" }, ...init }),
      options(),
    );
  const status = get("/api/status");
  assert.equal(status.status, 200);
  assert.deepEqual(await status.json(), samplePage().status);
  const html = await get("/").text();
  assert.match(html, /<svg id="history"/);
  assert.doesNotMatch(html, /POLL_MS/, "every placeholder filled in");
  assert.match(html, /"generated_at":"2026-01-01T00:01:00.000Z"/, "the reading embedded");
  assert.match(await get("/metrics").text(), /^# HELP twitchtool_recordings_active/);
  assert.equal(get("/nope").status, 404);
  assert.equal(get("/api/status", { method: "POST", body: "x" }).status, 405);
  assert.equal(get("/api/status", { method: "DELETE" }).status, 405);
  assert.equal(get(`/?${"a".repeat(3000)}`).status, 414);
});

Deno.test("answer() with a token set wants it as a bearer token or ?token=", () => {
  const ask = (path: string, headers: Record<string, string> = {}) =>
    answer(new Request(`http://h${path}`, { headers }), options(TOKEN)).status;
  assert.equal(ask("/api/status"), 401);
  assert.equal(ask("/metrics", { authorization: "Bearer wrong" }), 401);
  assert.equal(ask(`/api/status?token=${TOKEN}x`), 401);
  assert.equal(ask("/metrics", { authorization: `Bearer ${TOKEN}` }), 200);
  assert.equal(ask(`/?token=${TOKEN}`), 200);
});

Deno.test("answer() says 503 until the first reading, and the page still loads", () => {
  const empty = { ...options(), cache: { current: undefined } as unknown as SnapshotCache };
  const headers = { host: "127.0.0.1:1" };
  assert.equal(answer(new Request("http://h/api/status", { headers }), empty).status, 503);
  assert.equal(answer(new Request("http://h/", { headers }), empty).status, 200);
});

Deno.test("answer() without a token answers only a Host naming this machine", () => {
  const ask = (host: string | undefined, token?: string) =>
    answer(
      new Request("http://h/api/status", { headers: host === undefined ? {} : { host } }),
      options(token),
    ).status;
  for (const host of ["localhost", "LOCALHOST:1", "127.0.0.1:8686", "127.9.9.9", "[::1]:1"]) {
    assert.equal(ask(host), 200, host);
  }
  for (
    const host of ["attacker.example", "attacker.example:1", "127.0.0.1.nip.io", "", undefined]
  ) {
    assert.equal(ask(host), 421, String(host));
  }
  // With a token the token decides, whatever the name.
  assert.equal(
    answer(
      new Request(`http://h/api/status?token=${TOKEN}`, { headers: { host: "my.vps.example" } }),
      options(TOKEN),
    ).status,
    200,
  );
  assert.equal(ask("attacker.example", TOKEN), 401);
});
