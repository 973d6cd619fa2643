import assert from "node:assert/strict";
import { join } from "node:path";
import { ensureClip } from "../../testing/clips.ts";
import { concatBytes } from "../../testing/frames.ts";
import { backfillFromVod, type VodFetcher } from "./backfill_vod.ts";

/** Writes what streamlink would: the VOD's segments from the start offset for the duration. */
function vodOf(segments: readonly Uint8Array[]): VodFetcher {
  return async (args) => {
    const at = (flag: string) => args[args.indexOf(flag) + 1]!;
    const seconds = (hms: string) => hms.split(":").reduce((sum, n) => sum * 60 + Number(n), 0);
    const from = seconds(at("--hls-start-offset"));
    const to = from + seconds(at("--hls-duration"));
    await Deno.writeFile(at("--output"), concatBytes(segments.slice(from, to)));
    return { code: 0, stderr: "" };
  };
}

async function session(pieces: Uint8Array[][]) {
  const dir = await Deno.makeTempDir();
  const parts: string[] = [];
  for (const [index, piece] of pieces.entries()) {
    const path = join(dir, `s_part0${index + 1}.ts`);
    await Deno.writeFile(path, concatBytes(piece));
    parts.push(path);
  }
  return { dir, parts };
}

Deno.test("backfillFromVod() splices the VOD's bytes between the seams of a hole and before the first part", async () => {
  const { segments } = await ensureClip({ offset: 1000, seconds: 20 });
  const { dir, parts } = await session([segments.slice(4, 8), segments.slice(14, 20)]);
  try {
    const result = await backfillFromVod({
      tempDir: dir,
      base: "s",
      parts,
      vodId: "1",
      vodUrlTemplate: "https://example.invalid/videos/{id}",
      quality: "best",
      liveSince: "2026-01-01T00:00:00Z",
      firstDataAt: "2026-01-01T00:00:04Z",
      fetch: vodOf(segments),
    });
    assert.deepEqual(result.notes, []);
    assert.equal(result.parts.length, 4);
    assert.equal(result.parts[1], parts[0]);
    assert.equal(result.parts[3], parts[1]);
    assert.deepEqual(await Deno.readFile(result.parts[0]!), concatBytes(segments.slice(0, 4)));
    assert.deepEqual(await Deno.readFile(result.parts[2]!), concatBytes(segments.slice(8, 14)));
    assert.ok(Math.abs(result.seconds - 10) < 0.2, `${result.seconds}`);
    const left = [...Deno.readDirSync(dir)].map((entry) => entry.name).sort();
    assert.deepEqual(left, ["s_part01.ts", "s_part02.ts", "s_vod01.ts", "s_vod02.ts"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("backfillFromVod() leaves the parts alone and says why: no VOD, a failed fetch, foreign bytes", async () => {
  const { segments } = await ensureClip({ offset: 1000, seconds: 20 });
  const other = await ensureClip({ offset: 5000, seconds: 20 });
  const { dir, parts } = await session([segments.slice(0, 6), segments.slice(14, 20)]);
  const request = {
    tempDir: dir,
    base: "s",
    parts,
    vodUrlTemplate: "https://example.invalid/videos/{id}",
    quality: "best",
  };
  try {
    const none = await backfillFromVod(request);
    assert.deepEqual(none.parts, parts);
    assert.match(none.notes.join(), /no VOD/);
    const failed = await backfillFromVod({
      ...request,
      vodId: "7",
      fetch: () => Promise.resolve({ code: 1, stderr: "error: No playable streams found" }),
    });
    assert.deepEqual(failed.parts, parts);
    assert.match(failed.notes.join(), /VOD 7 cannot be fetched: error: No playable streams found/);
    const foreign = await backfillFromVod({ ...request, vodId: "8", fetch: vodOf(other.segments) });
    assert.deepEqual(foreign.parts, parts);
    assert.equal(foreign.seconds, 0);
    assert.match(foreign.notes.join(), /seam not found/);
    const left = [...Deno.readDirSync(dir)].map((entry) => entry.name).sort();
    assert.deepEqual(left, ["s_part01.ts", "s_part02.ts"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
