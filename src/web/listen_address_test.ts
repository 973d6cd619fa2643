import assert from "node:assert/strict";
import { ConfigError } from "../errors.ts";
import { checkedListenAddress, namesThisServer, parseListenAddress } from "./listen_address.ts";

Deno.test("parseListenAddress() reads host:port and knows loopback", () => {
  assert.deepEqual(parseListenAddress("127.0.0.1:8686", "x"), {
    hostname: "127.0.0.1",
    port: 8686,
    loopback: true,
  });
  assert.equal(parseListenAddress("localhost:0", "x").loopback, true);
  assert.deepEqual(parseListenAddress("[::1]:80", "x"), {
    hostname: "::1",
    port: 80,
    loopback: true,
  });
  assert.equal(parseListenAddress("0.0.0.0:8686", "x").loopback, false);
  assert.equal(parseListenAddress("192.168.1.2:8686", "x").loopback, false);
  for (const bad of ["8686", "127.0.0.1", "127.0.0.1:99999", "http://a:1", "a b:1"]) {
    assert.throws(() => parseListenAddress(bad, "x"), ConfigError, bad);
  }
});

Deno.test("checkedListenAddress() refuses a non-loopback address without a long enough token", () => {
  assert.equal(checkedListenAddress("127.0.0.1:1", undefined, "x").port, 1);
  assert.throws(() => checkedListenAddress("0.0.0.0:1", undefined, "x"), /needs "web.token"/);
  assert.throws(() => checkedListenAddress("0.0.0.0:1", "short", "x"), /shorter than 16/);
  const error = (() => {
    try {
      checkedListenAddress("10.0.0.1:1", undefined, "x");
    } catch (e) {
      return e as ConfigError;
    }
  })();
  assert.equal(error?.exitCode, 2);
  assert.equal(checkedListenAddress("0.0.0.0:1", "0123456789abcdef", "x").loopback, false);
});

Deno.test("namesThisServer() knows loopback names and the listen address, nothing else", () => {
  const at = parseListenAddress("127.0.0.5:8686", "x");
  for (const host of ["localhost", "localhost:8686", "127.0.0.1", "[::1]:8686", "127.0.0.5:1"]) {
    assert.equal(namesThisServer(host, at), true, host);
  }
  const named = { hostname: "Box.Lan", port: 1, loopback: false };
  assert.equal(namesThisServer("box.lan:1", named), true);
  for (
    const host of [null, "", "attacker.example", "localhost.attacker.example", "[::2]", "a:b:c"]
  ) {
    assert.equal(namesThisServer(host, at), false, String(host));
  }
});
