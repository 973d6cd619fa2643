import assert from "node:assert/strict";
import { lastNetworkProblem, networkProblem } from "./stream_problem.ts";

// Lines as streamlink 5.2.1 prints them (the first one captured here with a refused port).
const REFUSED =
  "error: Unable to open URL: http://127.0.0.1:9/x (HTTPConnectionPool(host='127.0.0.1', port=9): Max retries exceeded with url: /x (Caused by NewConnectionError('<urllib3.connection.HTTPConnection object at 0x7f6d0b2b5350>: Failed to establish a new connection: [Errno 111] Connection refused')))";
const UNREACHABLE =
  "error: Unable to open URL: https://usher.ttvnw.net/api/channel/hls/a.m3u8 (HTTPSConnectionPool(host='usher.ttvnw.net', port=443): Max retries exceeded with url: /api/channel/hls/a.m3u8 (Caused by NewConnectionError('<urllib3.connection.HTTPSConnection object at 0x7f>: Failed to establish a new connection: [Errno 101] Network is unreachable')))";
const DNS =
  "[stream.hls][warning] Failed to reload playlist: Unable to open URL: https://x.example/p.m3u8 (HTTPSConnectionPool(host='x.example', port=443): Max retries exceeded with url: /p.m3u8 (Caused by NameResolutionError(\"<urllib3.connection.HTTPSConnection object at 0x7f>: Failed to resolve 'x.example' ([Errno -3] Temporary failure in name resolution)\")))";

Deno.test("networkProblem() names the failure and host of a request that got no answer", () => {
  assert.equal(networkProblem(REFUSED), "Connection refused (127.0.0.1:9)");
  assert.equal(networkProblem(UNREACHABLE), "Network is unreachable (usher.ttvnw.net:443)");
  assert.equal(networkProblem(DNS), "Temporary failure in name resolution (x.example:443)");
});

Deno.test("networkProblem() leaves offline and HTTP errors alone", () => {
  assert.equal(
    networkProblem("error: No playable streams found on this URL: https://twitch.tv/a"),
    undefined,
  );
  assert.equal(
    networkProblem(
      "error: Unable to open URL: http://127.0.0.1:8/live/a/index.m3u8 (404 Client Error: Not Found for url: http://127.0.0.1:8/live/a/index.m3u8)",
    ),
    undefined,
  );
  assert.equal(
    lastNetworkProblem(`[cli][info] Found matching plugin\n${REFUSED}\n`),
    "Connection refused (127.0.0.1:9)",
  );
  assert.equal(lastNetworkProblem("[cli][info] Available streams: best\n"), undefined);
});

Deno.test("networkProblem() takes 'No playable streams found' as a network problem only while the API says live", () => {
  const line = "error: No playable streams found on this URL: https://www.twitch.tv/alice";
  assert.equal(networkProblem(line), undefined);
  assert.match(networkProblem(line, true) ?? "", /API says the channel is live/);
  assert.equal(lastNetworkProblem(`[cli][info] Found matching plugin\n${line}\n`), undefined);
  assert.match(lastNetworkProblem(`${line}\n`, true) ?? "", /host may be unreachable/);
});
