import assert from "node:assert/strict";
import { listenHttp, MAX_HEAD_BYTES } from "./http_listener.ts";

/** Sends raw bytes, returns everything the server said before closing. */
async function exchange(port: number, raw: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(new TextEncoder().encode(raw));
  const chunks: number[] = [];
  const buffer = new Uint8Array(4096);
  for (;;) {
    const read = await conn.read(buffer).catch(() => null);
    if (read === null) break;
    chunks.push(...buffer.subarray(0, read));
  }
  conn.close();
  return new TextDecoder().decode(new Uint8Array(chunks));
}

async function withServer(fn: (port: number) => Promise<void>): Promise<void> {
  const stop = new AbortController();
  const server = listenHttp(
    { hostname: "127.0.0.1", port: 0, signal: stop.signal },
    (request) =>
      new Response(`${request.method} ${new URL(request.url).pathname}`, {
        headers: {
          "x-seen": request.headers.get("x-test") ?? "",
          "x-host": request.headers.get("host") ?? "",
        },
      }),
  );
  try {
    await fn(server.addr.port);
  } finally {
    stop.abort();
    await server.finished;
  }
}

Deno.test("listenHttp() answers one request per connection and closes it", async () => {
  await withServer(async (port) => {
    const text = await exchange(port, "GET /a/b?x=1 HTTP/1.1\r\nHost: h\r\nX-Test: yes\r\n\r\n");
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(text, /\r\nx-seen: yes\r\n/);
    assert.match(text, /\r\nconnection: close\r\n/);
    assert.match(text, /\r\ncontent-length: 8\r\n/);
    assert.match(text, /\r\n\r\nGET \/a\/b$/);
    const head = await exchange(port, "HEAD / HTTP/1.1\r\nHost: h\r\n\r\n");
    assert.match(head, /content-length: 6\r\n/);
    assert.match(head, /\r\n\r\n$/, "HEAD: headers only");
  });
});

Deno.test("listenHttp() refuses oversized heads, unknown methods and non-HTTP/1 lines", async () => {
  await withServer(async (port) => {
    const big = `GET / HTTP/1.1\r\nX-Big: ${"a".repeat(MAX_HEAD_BYTES)}\r\n\r\n`;
    assert.match(await exchange(port, big), /^HTTP\/1\.1 431 /);
    assert.match(await exchange(port, "TRACE / HTTP/1.1\r\n\r\n"), /^HTTP\/1\.1 405 /);
    assert.match(await exchange(port, "GET / SPDY/3\r\n\r\n"), /^HTTP\/1\.1 400 /);
    assert.match(await exchange(port, "GET ftp://elsewhere/ HTTP/1.1\r\n\r\n"), /^HTTP\/1\.1 400 /);
    assert.match(await exchange(port, "GET elsewhere HTTP/1.1\r\n\r\n"), /^HTTP\/1\.1 400 /);
    assert.match(await exchange(port, "GET / x HTTP/1.1\r\n\r\n"), /^HTTP\/1\.1 400 /);
    // A head that never ends is cut off at the deadline, unanswered.
    assert.equal(await exchange(port, "GET / HTTP/1.1\r\n"), "");
  });
});

Deno.test("listenHttp() answers bare-LF lines and absolute-form targets as HTTP/1.1 allows", async () => {
  await withServer(async (port) => {
    const bare = await exchange(port, "\nGET /a?b HTTP/1.1\nHost: h\nX-Test: lf\n\n");
    assert.match(bare, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(bare, /\r\nx-seen: lf\r\n/);
    assert.match(bare, /\r\n\r\nGET \/a$/);
    const mixed = await exchange(port, "HEAD / HTTP/1.0\r\nHost: h\n\r\n");
    assert.match(mixed, /^HTTP\/1\.1 200 OK\r\n/);
    // The target's authority stands in for Host (RFC 9112 section 3.2.2).
    const absolute = await exchange(
      port,
      "GET http://127.0.0.1:8686/api/status?x HTTP/1.1\r\nHost: other\r\n\r\n",
    );
    assert.match(absolute, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(absolute, /\r\nx-host: 127\.0\.0\.1:8686\r\n/);
    assert.match(absolute, /\r\n\r\nGET \/api\/status$/);
    const path = await exchange(port, "GET //other/x HTTP/1.1\r\nHost: h\r\n\r\n");
    assert.match(path, /\r\n\r\nGET \/\/other\/x$/, "a path, not an authority");
  });
});
