import assert from "node:assert/strict";
import { join } from "node:path";
import type { MediaInfo } from "../proc/ffprobe.ts";
import type { TranscodeRequest } from "./transcode_file.ts";
import { runTscompress, type TscompressEvent, tscompressOutputs } from "./tscompress.ts";
import { FAST_ENCODE_SETTINGS } from "../../testing/fast_encode_settings.ts";

const probe = async (path: string): Promise<MediaInfo | undefined> => {
  const text = await Deno.readTextFile(path).catch(() => undefined);
  return text === undefined || text === "junk" ? undefined : { duration: 3, streams: [] };
};

Deno.test("tscompressOutputs() names <name>.mp4 and <name>_compressed.mp4", () => {
  assert.deepEqual(tscompressOutputs("/r/stream.ts"), {
    mp4: "/r/stream.mp4",
    compressed: "/r/stream_compressed.mp4",
  });
  assert.deepEqual(tscompressOutputs("/r/stream.ts", "/out"), {
    mp4: "/out/stream.mp4",
    compressed: "/out/stream_compressed.mp4",
  });
});

Deno.test("runTscompress() goes on after a failure, skips existing outputs and compressed files", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tscompress-test-" });
  try {
    const bad = join(dir, "bad.ts");
    const good = join(dir, "good.ts");
    const movie = join(dir, "movie.mp4");
    const already = join(dir, "old_compressed.mp4");
    await Deno.writeTextFile(bad, "junk");
    await Deno.writeTextFile(good, "media");
    await Deno.writeTextFile(movie, "media");
    await Deno.writeTextFile(already, "media");
    await Deno.writeTextFile(join(dir, "movie_compressed.mp4"), "media");
    const calls: string[] = [];
    const events: TscompressEvent[] = [];
    const transcode = async (request: TranscodeRequest) => {
      calls.push(request.output);
      if (request.input === bad) return { status: "failed" as const, reason: "broken" };
      await Deno.writeTextFile(request.output, "media");
      return { status: "done" as const, output: request.output, duration: 3 };
    };
    const results = await runTscompress(
      {
        files: [bad, good, movie, already],
        settings: FAST_ENCODE_SETTINGS,
        overwrite: false,
        deleteTsAfterRemux: true,
        deleteInputOnSuccess: false,
        diskFreeMinBytes: 0,
      },
      {
        lowPriority: { nice: false, ionice: false },
        transcode,
        probe,
        onEvent: (e) => events.push(e),
      },
      new AbortController().signal,
    );
    assert.deepEqual(results.map((r) => [r.remux, r.encode]), [
      ["failed", "n/a"],
      ["done", "done"],
      ["n/a", "skipped"],
      ["n/a", "skipped"],
    ]);
    assert.equal(results[0]?.note, "broken");
    assert.deepEqual(calls, [
      join(dir, "bad.mp4"),
      join(dir, "good.mp4"),
      join(dir, "good_compressed.mp4"),
    ]);
    assert.equal(await Deno.stat(bad).then(() => true), true, "a failed remux keeps the .ts");
    await assert.rejects(() => Deno.stat(good), Deno.errors.NotFound);
    assert.ok(events.some((e) => e.kind === "end" && e.outcome === "done"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runTscompress() marks what is left as interrupted after shutdown", async () => {
  const stop = new AbortController();
  stop.abort();
  const results = await runTscompress(
    {
      files: ["/x/a.ts"],
      settings: FAST_ENCODE_SETTINGS,
      overwrite: false,
      deleteTsAfterRemux: false,
      deleteInputOnSuccess: false,
      diskFreeMinBytes: 0,
    },
    { lowPriority: { nice: false, ionice: false } },
    stop.signal,
  );
  assert.deepEqual(results.map((r) => [r.remux, r.encode]), [["interrupted", "interrupted"]]);
});
