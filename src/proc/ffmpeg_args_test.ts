import assert from "node:assert/strict";
import { concatList, concatRemuxArgs, moovReserveBytes } from "./ffmpeg_args.ts";

Deno.test("concatRemuxArgs() reserves room for the moov instead of a +faststart rewrite when asked", () => {
  const once = concatRemuxArgs("/t/list.txt", "/t/out.mp4.partial", "mp4", {
    reserveMoovBytes: 5000.5,
  });
  assert.deepEqual(once.slice(once.indexOf("-moov_size"), once.indexOf("-moov_size") + 2), [
    "-moov_size",
    "5001",
  ]);
  assert.ok(!once.includes("+faststart"));
  const twice = concatRemuxArgs("/t/list.txt", "/t/out.mp4.partial", "mp4");
  assert.ok(twice.includes("+faststart") && !twice.includes("-moov_size"));
  const ts = concatRemuxArgs("/t/list.txt", "/t/out.ts.partial", "mpegts", { reserveMoovBytes: 1 });
  assert.ok(!ts.includes("-moov_size") && !ts.includes("+faststart"));
  assert.deepEqual(ts.slice(-4), ["-f", "mpegts", "-y", "/t/out.ts.partial"]);
});

Deno.test("moovReserveBytes() grows with the duration and covers what ffmpeg measured", () => {
  assert.equal(moovReserveBytes(0), 256 * 1024);
  // ffmpeg needed 56,373 bytes of moov for 60 s of 30 fps video + 44.1 kHz AAC.
  assert.ok(moovReserveBytes(60) > 56_373);
  assert.ok(moovReserveBytes(36_000) < 100 * 1024 * 1024, "10 h stays under 100 MiB");
});

Deno.test("concatList() quotes paths for the concat demuxer", () => {
  assert.equal(concatList(["/a/b.ts", "/a/it's.ts"]), "file '/a/b.ts'\nfile '/a/it'\\''s.ts'\n");
});
