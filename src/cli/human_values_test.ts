import assert from "node:assert/strict";
import { localTime, shortPath } from "./human_values.ts";

Deno.test("localTime() shows the clock for today and the date otherwise", () => {
  const now = new Date(2026, 4, 6, 18, 0);
  assert.equal(localTime(new Date(2026, 4, 6, 7, 8).toISOString(), now), "07:08");
  assert.equal(localTime(new Date(2026, 4, 5, 23, 59).toISOString(), now), "2026-05-05 23:59");
  assert.equal(localTime("", now), "?");
});

Deno.test("shortPath() is relative to the first folder holding the path", () => {
  assert.equal(shortPath("/v/rec/a.mp4", "/q", "/v/rec"), "a.mp4");
  assert.equal(shortPath("/v/rec/sub/a.mp4", "/v/rec"), "sub/a.mp4");
  assert.equal(shortPath("/elsewhere/a.mp4", "/v/rec"), "/elsewhere/a.mp4");
  assert.equal(shortPath("/v/recordings/a.mp4", "/v/rec"), "/v/recordings/a.mp4");
});
