import assert from "node:assert/strict";
import { remoteFile, uploadDest, uploadKind, userOfFile } from "./upload_settings.ts";

Deno.test("uploadDest() fills {user}, {file}, {host} and the recording's {date}", () => {
  const settings = { pathTemplate: "{host}/{user}/{date}/{file}", host: "box1" };
  const dest = uploadDest(
    settings,
    "/v/Foo_Bar_2026-12-07_23-59-01_compressed.mp4",
    "foo_bar",
    new Date("2027-01-01T00:00:00Z"),
  );
  assert.equal(dest, "box1/foo_bar/2026-12-07/Foo_Bar_2026-12-07_23-59-01_compressed.mp4");
  const undated = uploadDest(settings, "/v/clip.mp4", "x", new Date("2027-01-02T10:00:00Z"));
  assert.equal(undated, "box1/x/2027-01-02/clip.mp4");
});

Deno.test("uploadKind() and userOfFile() read a delivered file's name", () => {
  const base = "/v/some_user_2026-12-07_10-00-00";
  assert.equal(uploadKind(`${base}.mp4`), "recording");
  assert.equal(uploadKind(`${base}.ts`), "recording");
  assert.equal(uploadKind(`${base}_compressed.mp4`), "compressed");
  assert.equal(uploadKind(`${base}.chat.json`), "chat");
  assert.equal(uploadKind(`${base}.info.json`), "info");
  assert.equal(userOfFile(`${base}.info.json`), "some_user");
  assert.equal(userOfFile("/v/holiday.mp4"), undefined);
});

Deno.test("remoteFile() joins a remote and a path once", () => {
  assert.equal(remoteFile("dav:", "a/b.mp4"), "dav:a/b.mp4");
  assert.equal(remoteFile("dav:archive", "a/b.mp4"), "dav:archive/a/b.mp4");
  assert.equal(remoteFile("dav:archive/", "a/b.mp4"), "dav:archive/a/b.mp4");
});
