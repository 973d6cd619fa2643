/**
 * Tiny fragmented-MP4 byte streams built box by box, for unit tests that need exact control over
 * fragment boundaries (one `moof` per track or both tracks in one, parts cut anywhere) without
 * encoding media: only what `fmp4_fragments.ts` reads is filled in; ffmpeg cannot decode them.
 */
import { concatBytes } from "./frames.ts";

/** A track of the init segment. */
export interface BuiltTrack {
  readonly id: number;
  readonly kind: "video" | "audio";
  readonly timescale: number;
}

/** One track's samples in a fragment; `seed` makes the media bytes unique. */
export interface BuiltRun {
  readonly id: number;
  readonly baseTime: number;
  readonly sampleDuration: number;
  readonly samples: number;
  readonly seed: number;
  /** Media bytes in the `mdat` (64 unless given). */
  readonly payloadBytes?: number;
}

const text = new TextEncoder();

function box(type: string, ...payload: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const body = concatBytes(payload);
  const out = new Uint8Array(8 + body.byteLength);
  new DataView(out.buffer).setUint32(0, out.byteLength);
  out.set(text.encode(type), 4);
  out.set(body, 8);
  return out;
}

/** Big-endian 32-bit words (a full box's version and flags are the first). */
function words(...values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  values.forEach((value, i) => new DataView(out.buffer).setUint32(i * 4, value));
  return out;
}

/** `ftyp` + `moov` declaring `tracks`. */
export function initSegment(tracks: readonly BuiltTrack[]): Uint8Array<ArrayBuffer> {
  const traks = tracks.map(({ id, kind, timescale }) =>
    box(
      "trak",
      box("tkhd", words(0, 0, 0, id, 0)),
      box(
        "mdia",
        box("mdhd", words(0, 0, 0, timescale, 0)),
        box("hdlr", words(0, 0), text.encode(kind === "video" ? "vide" : "soun")),
        box("minf", box("stbl", box("stsd", words(0, 1), box(kind === "video" ? "avc1" : "mp4a")))),
      ),
    )
  );
  const trexes = tracks.map(({ id }) => box("trex", words(0, id, 1, 0, 0, 0)));
  return concatBytes([
    box("ftyp", text.encode("isom"), words(0)),
    box("moov", ...traks, box("mvex", ...trexes)),
  ]);
}

/** A `moof` (sequence number `sequence`) + `mdat` holding `runs`. */
export function fragment(sequence: number, runs: readonly BuiltRun[]): Uint8Array<ArrayBuffer> {
  const trafs = runs.map((run) => {
    const tfdt = new Uint8Array(12);
    const view = new DataView(tfdt.buffer);
    view.setUint32(0, 0x01000000);
    view.setBigUint64(4, BigInt(run.baseTime));
    return box(
      "traf",
      box("tfhd", words(0x020008, run.id, run.sampleDuration)),
      box("tfdt", tfdt),
      box("trun", words(0, run.samples)),
    );
  });
  const media = runs.map((run) =>
    Uint8Array.from(
      { length: run.payloadBytes ?? 64 },
      (_, i) => (run.seed * 131 + run.id * 17 + i * 7) & 0xff,
    )
  );
  return concatBytes([
    box("moof", box("mfhd", words(0, sequence)), ...trafs),
    box("mdat", ...media),
  ]);
}
