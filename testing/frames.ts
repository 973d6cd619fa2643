/**
 * Judging a recording frame by frame: every decoded video frame hashed (ffmpeg `framemd5`), so a
 * test can tell a frame kept twice or missing from the source, whatever the container did to
 * the timestamps.
 */
import { join } from "node:path";

/** The MD5 of each decoded video frame of `path`, in presentation order. */
export async function frameHashes(path: string): Promise<string[]> {
  const out = await new Deno.Command("ffmpeg", {
    args: ["-v", "error", "-i", path, "-map", "0:v:0", "-f", "framemd5", "-"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`ffmpeg cannot decode "${path}": ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout).split("\n")
    .filter((line) => line.trim() && !line.startsWith("#"))
    .map((line) => line.split(",").pop()!.trim());
}

/** The frame hashes of media given as byte pieces (segments of a source, joined in order). */
export async function frameHashesOf(
  pieces: readonly Uint8Array[],
  dir: string,
  name = "source.ts",
): Promise<string[]> {
  const path = join(dir, name);
  await Deno.writeFile(path, concatBytes(pieces));
  try {
    return await frameHashes(path);
  } finally {
    await Deno.remove(path).catch(() => {});
  }
}

/** One buffer holding `pieces` one after another. */
export function concatBytes(pieces: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const all = new Uint8Array(pieces.reduce((sum, piece) => sum + piece.byteLength, 0));
  let at = 0;
  for (const piece of pieces) {
    all.set(piece, at);
    at += piece.byteLength;
  }
  return all;
}

/** Hashes that occur more than once in `hashes` (a frame kept twice). */
export function repeatedFrames(hashes: readonly string[]): string[] {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const hash of hashes) (seen.has(hash) ? twice : seen).add(hash);
  return [...twice];
}

/**
 * How many frames of `source` are missing from `delivered` when `delivered` is `source` with
 * frames left out (in order, none added or repeated); undefined when it is not.
 */
export function framesMissing(
  delivered: readonly string[],
  source: readonly string[],
): number | undefined {
  let at = 0;
  for (const hash of delivered) {
    while (at < source.length && source[at] !== hash) at++;
    if (at === source.length) return undefined;
    at++;
  }
  return source.length - delivered.length;
}
