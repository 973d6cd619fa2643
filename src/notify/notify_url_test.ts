import assert from "node:assert/strict";
import { ConfigError } from "../errors.ts";
import { maskUrl, notifyUrlSecrets, parseNotifyUrl } from "./notify_url.ts";
import { httpRequest } from "./send_notification.ts";
import { renderEvent } from "./notify_event.ts";

const message = renderEvent({ event: "test" });

Deno.test("parseNotifyUrl() turns ntfy:// with user:password into basic auth and keeps both out of display", () => {
  const target = parseNotifyUrl("ntfy://alice:s3cretpw@127.0.0.1:8080/streams?priority=5");
  assert.equal(target.kind, "ntfy");
  if (target.kind !== "ntfy") return;
  assert.equal(target.endpoint, "http://127.0.0.1:8080/streams");
  assert.equal(target.headers.Authorization, `Basic ${btoa("alice:s3cretpw")}`);
  assert.equal(target.priority, "5");
  assert.ok(!target.display.includes("s3cretpw"), target.display);
  assert.ok(target.secrets.includes("s3cretpw"));
  const request = httpRequest(target, message);
  assert.equal(request.headers.Title, "twitchtool test");
  assert.equal(request.headers.Priority, "5");
  assert.equal(request.body, message.body);
});

Deno.test("parseNotifyUrl() sends an ntfy ?token= as a Bearer header, ntfys:// over https, a bare topic to ntfy.sh", () => {
  const target = parseNotifyUrl("ntfys://ntfy.example.org/alerts?token=tk_abcdef123");
  assert.ok(target.kind === "ntfy");
  assert.equal(target.endpoint, "https://ntfy.example.org/alerts");
  assert.equal(target.headers.Authorization, "Bearer tk_abcdef123");
  assert.equal(target.display, "ntfys://ntfy.example.org/alerts?token=***");
  const cloud = parseNotifyUrl("ntfy://mytopic");
  assert.ok(cloud.kind === "ntfy");
  assert.equal(cloud.endpoint, "https://ntfy.sh/mytopic");
});

Deno.test("parseNotifyUrl() maps discord://id/token to the webhook endpoint and masks the token", () => {
  const target = parseNotifyUrl("discord://123456/AbCdEfTokenXyz");
  assert.ok(target.kind === "discord");
  assert.equal(target.endpoint, "https://discord.com/api/webhooks/123456/AbCdEfTokenXyz");
  assert.equal(target.display, "discord://123456/***");
  assert.ok(target.secrets.includes("AbCdEfTokenXyz"));
  const body = JSON.parse(httpRequest(target, message).body);
  assert.equal(body.username, "twitchtool");
  assert.ok(body.content.includes("twitchtool test"));
  assert.throws(() => parseNotifyUrl("discord://123456"), ConfigError);
});

Deno.test("parseNotifyUrl() json:// posts {title, message, type, event, ...fields}; +Header and -param as Apprise does", () => {
  const target = parseNotifyUrl("jsons://hooks.example.org:8443/in?+X-Api-Key=keykeykey&-room=7");
  assert.ok(target.kind === "json");
  assert.equal(target.endpoint, "https://hooks.example.org:8443/in?room=7");
  assert.equal(target.headers["X-Api-Key"], "keykeykey");
  assert.ok(target.secrets.includes("keykeykey"));
  const event = renderEvent({
    event: "encode_failed",
    input: "/r/a_2024-01-01_10-00-00.mp4",
    reason: "x",
  });
  const body = JSON.parse(httpRequest(target, event).body);
  assert.deepEqual(
    [body.title, body.type, body.event, body.input, body.reason],
    ["Encode failed", "failure", "encode_failed", "/r/a_2024-01-01_10-00-00.mp4", "x"],
  );
});

Deno.test("parseNotifyUrl() hands other schemes to apprise and shows only their scheme", () => {
  const target = parseNotifyUrl("tgram://123456789:AAbotTokenSecret/-100200300");
  assert.equal(target.kind, "apprise");
  assert.equal(target.display, "tgram://***");
  assert.ok(target.secrets.some((s) => s.includes("AAbotTokenSecret")));
  assert.throws(() => parseNotifyUrl("not a url"), ConfigError);
  assert.equal(maskUrl("json://u:pw12345@h/p?a=b"), "json://u:***@h/p?a=***");
});

Deno.test("parseNotifyUrl() does not count message styling (priority, tags) as secrets", () => {
  const target = parseNotifyUrl("ntfy://h/t?priority=high&tags=warning&token=tk_secret1");
  assert.deepEqual(target.secrets, ["tk_secret1"]);
});

/** Each secret and its pieces between special characters: none may be in a masked text. */
function assertHidden(text: string, secret: string): void {
  for (const piece of [secret, ...secret.split(/[/#@%?]/).filter((p) => p.length >= 4)]) {
    assert.ok(!text.includes(piece), `"${piece}" of "${secret}" in ${text}`);
  }
}

Deno.test("parseNotifyUrl() reads a password holding @ up to the last @, sends it whole and masks it whole", () => {
  for (const scheme of ["ntfy", "json"]) {
    const target = parseNotifyUrl(`${scheme}://alice:Alpha@Bravo@Charlie@127.0.0.1:8080/topic`);
    assert.ok(target.kind !== "apprise" && target.kind === scheme);
    assert.equal(target.endpoint, "http://127.0.0.1:8080/topic");
    assert.equal(target.headers.Authorization, `Basic ${btoa("alice:Alpha@Bravo@Charlie")}`);
    assert.equal(target.display, `${scheme}://alice:***@127.0.0.1:8080/topic`);
    assert.ok(target.secrets.includes("Alpha@Bravo@Charlie"), String(target.secrets));
  }
});

Deno.test("maskUrl() hides a password holding /, #, ?, @ or %zz whole, and query values holding @, / or #", () => {
  const cases: [string, string, string][] = [
    ["ntfy://u:Slash1/Slash2@h:81/t", "ntfy://u:***@h:81/t", "Slash1/Slash2"],
    ["json://u:Hash1#Hash2@h/p", "json://u:***@h/p", "Hash1#Hash2"],
    ["json://u:Ques1?Ques2@h/p", "json://u:***@h/p", "Ques1?Ques2"],
    ["ntfys://u:Perc1%zzPerc2@h/t", "ntfys://u:***@h/t", "Perc1%zzPerc2"],
    ["ntfy://u:At1@At2/At3@[::1]:80", "ntfy://u:***@[::1]:80", "At1@At2/At3"],
    ["json://h:1/p?+X-Api-Key=Key1/Key2@Key3", "json://h:1/p?+X-Api-Key=***", "Key1/Key2@Key3"],
    [
      "json://h/p?+X-Api-Key=Frag1#Frag2@Frag3",
      "json://h/p?+X-Api-Key=***#***",
      "Frag1#Frag2@Frag3",
    ],
    ["ntfy://h/t?token=Tok1%zzTok2&Bare1Bare2", "ntfy://h/t?token=***&***", "Bare1Bare2"],
    ["discord://Bot1:Disc1/Disc2@123/Disc3", "discord://Bot1:***@123/***", "Disc1/Disc2"],
    ["ntfy:/u:Nosch1@h/t", "ntfy:***", "Nosch1"],
    ["ntfy://u:Pass1@h?token=Tok1Tok2", "ntfy://u:***@h?token=***", "Tok1Tok2"],
  ];
  for (const [raw, masked, secret] of cases) {
    assert.equal(maskUrl(raw), masked, raw);
    assertHidden(maskUrl(raw), secret);
    assert.ok(notifyUrlSecrets(raw).includes(secret), `${raw}: ${notifyUrlSecrets(raw)}`);
  }
});

Deno.test("parseNotifyUrl() refuses an unescaped / or # in a password and a malformed % escape in one masked line", () => {
  const cases: [string, string, RegExp][] = [
    ["ntfy://carol:Slash1/Slash2@127.0.0.1:8080/t", "Slash1/Slash2", /%2F/],
    ["json://carol:Hash1#Hash2@127.0.0.1/hook", "Hash1#Hash2", /%23/],
    ["ntfys://carol:Perc1%zzPerc2@127.0.0.1/t", "Perc1%zzPerc2", /%25/],
    ["json://carol:Perc1%ffPerc2@127.0.0.1/hook", "Perc1%ffPerc2", /%25/],
    ["jsons://127.0.0.1/hook?+X-Api-Key=Key1%zzKey2", "Key1%zzKey2", /%25/],
    ["discord://123/Tok1%zzTok2", "Tok1%zzTok2", /%25/],
    ["ntfy://carol:Ques1?Ques2@127.0.0.1/t", "Ques1?Ques2", /%3F/],
  ];
  for (const [raw, secret, hint] of cases) {
    let error: unknown;
    try {
      parseNotifyUrl(raw);
    } catch (thrown) {
      error = thrown;
    }
    assert.ok(error instanceof ConfigError, `${raw}: ${error}`);
    const message = error.message;
    assert.match(message, /^Cannot use notification URL "[^"\n]*" in "notify\.urls": [^\n]+$/);
    assert.match(message, hint, message);
    assertHidden(message, secret);
    assert.ok(notifyUrlSecrets(raw).includes(secret), `${raw}: ${notifyUrlSecrets(raw)}`);
  }
});
