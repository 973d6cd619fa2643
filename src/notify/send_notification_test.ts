import assert from "node:assert/strict";
import { startNotifySink } from "../../testing/notify_sink.ts";
import { renderEvent } from "./notify_event.ts";
import { parseNotifyUrl } from "./notify_url.ts";
import { sendNotification } from "./send_notification.ts";

const deps = {
  fetch,
  apprise: () => Promise.reject(new Error("no apprise here")),
  timeoutMs: 10_000,
};

Deno.test("sendNotification() fails on a 301, 302, 307 or 308 and sends nothing to where it points", async () => {
  await using elsewhere = startNotifySink();
  for (const status of [301, 302, 307, 308]) {
    await using redirector = startNotifySink();
    redirector.redirect = { status, location: `http://127.0.0.1:${elsewhere.port}/stolen` };
    const target = parseNotifyUrl(`json://127.0.0.1:${redirector.port}/hook?+X-Api-Key=k3yk3y`);
    await assert.rejects(
      sendNotification(target, renderEvent({ event: "test" }), deps),
      new RegExp(`^Error: HTTP ${status} .*: redirects are not followed`),
    );
    assert.equal(redirector.requests.length, 1);
    assert.equal(redirector.requests[0]!.headers["x-api-key"], "k3yk3y");
  }
  assert.deepEqual(elsewhere.requests, [], "the redirect's target received nothing");
});
