/**
 * A synthetic fMP4 broadcast for unit tests of repeat dropping and re-timing: 2-second segments
 * of video (90 kHz, 30 fps) and AAC-like audio (48 kHz, 1024-sample frames), each segment one
 * `moof` with both tracks or, as some packagers write it, one `moof` per track.
 */
import { join } from "node:path";
import { readFmp4Layout } from "../src/record/fmp4_fragments.ts";
import type { Fmp4Part } from "../src/record/part_overlap.ts";
import { concatBytes } from "./frames.ts";
import { type BuiltRun, fragment, initSegment } from "./fmp4_builder.ts";

/** Seconds of broadcast per segment. */
export const SEGMENT_SECONDS = 2;

const VIDEO = { id: 1, kind: "video", timescale: 90_000 } as const;
const AUDIO = { id: 2, kind: "audio", timescale: 48_000 } as const;

/** The init segment of the broadcast. */
export const BROADCAST_INIT = initSegment([VIDEO, AUDIO]);

/** The fragments of segment `index` (one, or video then audio), the clock starting at `offset` s. */
export function segmentFragments(
  index: number,
  separate: boolean,
  offset = 1000,
): Uint8Array<ArrayBuffer>[] {
  const audioFrames = 94;
  const video: BuiltRun = {
    id: VIDEO.id,
    baseTime: (offset + index * SEGMENT_SECONDS) * VIDEO.timescale,
    sampleDuration: 3000,
    samples: 60,
    seed: index * 2 + offset,
  };
  const audio: BuiltRun = {
    id: AUDIO.id,
    baseTime: offset * AUDIO.timescale + index * audioFrames * 1024,
    sampleDuration: 1024,
    samples: audioFrames,
    seed: index * 2 + 1 + offset,
  };
  return separate
    ? [fragment(index * 2 + 1, [video]), fragment(index * 2 + 2, [audio])]
    : [fragment(index + 1, [video, audio])];
}

/** Segments `[from, to)` after the init segment, as streamlink writes one part. */
export function partBytes(from: number, to: number, separate: boolean): Uint8Array<ArrayBuffer> {
  const segments = Array.from(
    { length: to - from },
    (_, i) => segmentFragments(from + i, separate),
  );
  return concatBytes([BROADCAST_INIT, ...segments.flat()]);
}

/** Writes `parts` into `dir` and reads their layouts. */
export async function writeParts(
  dir: string,
  parts: readonly Uint8Array[],
): Promise<Fmp4Part[]> {
  const read: Fmp4Part[] = [];
  for (const [index, bytes] of parts.entries()) {
    const path = join(dir, `part${index + 1}.mp4`);
    await Deno.writeFile(path, bytes);
    read.push({ path, layout: await readFmp4Layout(path) });
  }
  return read;
}
