import assert from "node:assert/strict";
import { completeHead, parseHead, type RequestHead } from "./_request_head.ts";

Deno.test("completeHead() finds the empty line after CRLF or bare-LF lines, past leading ones", () => {
  assert.equal(completeHead("GET / HTTP/1.1\r\nHost: a\r\n\r\nbody"), "GET / HTTP/1.1\r\nHost: a");
  assert.equal(completeHead("GET / HTTP/1.1\nHost: a\n\n"), "GET / HTTP/1.1\nHost: a");
  assert.equal(completeHead("GET / HTTP/1.1\r\nHost: a\n\r\n"), "GET / HTTP/1.1\r\nHost: a");
  assert.equal(completeHead("\r\n\nGET / HTTP/1.1\n\n"), "GET / HTTP/1.1");
  assert.equal(completeHead("GET / HTTP/1.1\r\nHost: a\r\n"), undefined);
  assert.equal(completeHead("\r\n\r\n"), undefined, "only empty lines: no request yet");
});

Deno.test("parseHead() takes origin- and absolute-form targets, the latter's authority as Host", () => {
  const origin = parseHead("GET /a?b HTTP/1.1\nHost: h\nX-A:  1 ") as RequestHead;
  assert.deepEqual([origin.method, origin.target, origin.headers.get("x-a")], ["GET", "/a?b", "1"]);
  const absolute = parseHead("HEAD http://127.0.0.1:8686/api/status?x=1 HTTP/1.0\r\nHost: b");
  assert.equal((absolute as RequestHead).target, "/api/status?x=1");
  assert.equal((absolute as RequestHead).headers.get("host"), "127.0.0.1:8686");
  for (const bad of ["GET https://h/ HTTP/1.1", "GET h/x HTTP/1.1", "GET / HTTP/2", "GET /", ""]) {
    const refused = parseHead(bad);
    assert.equal("status" in refused && refused.status, 400, bad);
  }
});
