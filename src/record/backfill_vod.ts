/**
 * Back-fill from the broadcast's VOD (opt-in `[twitch] backfill`). Twitch keeps an archive video
 * of a running broadcast for channels that publish VODs; once the broadcast has ended, what the
 * live parts missed (the start before the first part, a hole between two parts) is fetched from
 * it with streamlink (`--hls-start-offset` / `--hls-duration`) and spliced in as extra parts.
 *
 * Where a fill goes is decided by content, never by the clock: the fetched stretch must hold the
 * earlier part's last packets and the later part's first packets byte for byte (streamlink
 * writes segments as served, so the VOD's copy of a live segment is the same bytes), and the fill
 * is exactly the bytes between them. Wall-clock time (`live_since`, first data) and the media
 * timeline only choose how much of the VOD to fetch, with a wide margin on both sides.
 * Anything that does not fit (no VOD, a fetch that fails, seams not found) leaves the parts as
 * they are, with the reason returned for the log and the encode job's note.
 */
import { basename, join } from "node:path";
import { getLogger } from "@logtape/logtape";
import { vodFetchArgs } from "../proc/streamlink_args.ts";
import { runCommand } from "../proc/spawn.ts";
import { removeIfExists } from "../state/atomic_write.ts";
import { partContainer } from "./part_container.ts";
import { tsNeedleStarts } from "./part_overlap.ts";
import { TS_PACKET_SIZE } from "./ts_packets.ts";
import {
  NEW_CLOCK_SECONDS,
  ptsDelta,
  TS_CLOCK,
  type TsEdges,
  tsEdges,
  tsGapSeconds,
} from "./ts_timestamps.ts";
import { readAt } from "../util/read_at.ts";
import { roundMillis } from "../util/round_millis.ts";

const log = getLogger(["twitchtool", "backfill"]);

/** A hole shorter than this (one or two segments' jitter) is not worth a VOD fetch. */
export const BACKFILL_MIN_GAP_SECONDS = 3;

/** Extra VOD fetched on each side of an estimated stretch (live window, latency, clock skew). */
export const BACKFILL_MARGIN_SECONDS = 90;

/** Packets compared at a seam (a part's head or tail found in the VOD download). */
const SEAM_PACKETS = 8;

/** Runs streamlink with `args`, killed after `timeoutMs`; the real one unless a test gives another. */
export type VodFetcher = (
  args: readonly string[],
  timeoutMs: number,
) => Promise<{ code: number; stderr: string }>;

/**
 * How long one fetch may take: 10 min plus the stretch's own length (a VOD still growing is read
 * in real time), so a hung streamlink never holds up the recording's delivery for good.
 */
function fetchTimeoutMs(seconds: number): number {
  return (600 + seconds) * 1000;
}

/** What back-fill needs to know about the session. */
export interface BackfillRequest {
  readonly tempDir: string;
  readonly base: string;
  /** Parts in capture order (MPEG-TS; fMP4 parts are left alone). */
  readonly parts: readonly string[];
  /** The archive video id Twitch's API reported for the broadcast, if any. */
  readonly vodId?: string;
  /** `[twitch] vod_url_template`: `{id}` is replaced by `vodId`. */
  readonly vodUrlTemplate: string;
  readonly quality: string;
  /** When the broadcast went live and when the first part got data (ISO 8601). */
  readonly liveSince?: string;
  readonly firstDataAt?: string;
  readonly fetch?: VodFetcher;
}

/** The parts with the fills spliced in, how much was filled, and what could not be. */
export interface BackfillResult {
  readonly parts: readonly string[];
  readonly seconds: number;
  /** Why something was not filled (empty when everything missing was filled). */
  readonly notes: readonly string[];
}

/** A stretch the parts miss: before part `before`, fetched from the VOD at [from, from+for). */
interface Hole {
  readonly before: number;
  readonly fromSeconds: number;
  readonly forSeconds: number;
}

/**
 * Fills what `request.parts` miss from the VOD. Never throws: a failure leaves the parts as they
 * are and says why in `notes`.
 */
export async function backfillFromVod(request: BackfillRequest): Promise<BackfillResult> {
  const unchanged = (note: string): BackfillResult => {
    log.warn("{base}: not back-filled: {note}", { base: request.base, note });
    return { parts: request.parts, seconds: 0, notes: [note] };
  };
  if (!request.vodId) return unchanged("Twitch reported no VOD for this broadcast");
  if (request.parts.length === 0) return unchanged("no parts");
  if ((await partContainer(request.parts[0]!)) !== "mpegts") {
    return unchanged("back-fill handles MPEG-TS parts only");
  }
  try {
    const { holes, notes } = await findHoles(request);
    const parts = [...request.parts];
    let seconds = 0;
    // From the last hole back, so earlier indexes stay valid while splicing.
    for (const [index, hole] of [...holes.entries()].reverse()) {
      const filled = await fillHole(request, hole, index + 1).catch((error) => ({
        note: (error as Error).message,
      }));
      if ("note" in filled) {
        notes.unshift(filled.note);
        continue;
      }
      if (!filled.path) continue;
      parts.splice(hole.before, 0, filled.path);
      seconds += filled.seconds;
    }
    if (notes.length > 0) log.warn("{base}: back-fill: {notes}", { base: request.base, notes });
    if (seconds > 0) {
      log.info("{base}: back-filled {seconds} s from VOD {id}", {
        base: request.base,
        seconds,
        id: request.vodId,
      });
    }
    return { parts, seconds: roundMillis(seconds), notes };
  } catch (error) {
    return unchanged((error as Error).message);
  }
}

/**
 * The stretches worth fetching: the start (when `live_since` is known; a start the live window
 * already covered is found to need nothing once fetched) and each forward jump between parts
 * longer than {@link BACKFILL_MIN_GAP_SECONDS} on one clock. VOD offsets are estimated from how
 * late the capture started plus the media timeline since the first part.
 */
async function findHoles(request: BackfillRequest): Promise<{ holes: Hole[]; notes: string[] }> {
  const holes: Hole[] = [];
  const notes: string[] = [];
  const edges: (TsEdges | undefined)[] = [];
  for (const part of request.parts) edges.push(await tsEdges(part));
  const late = lateSeconds(request);
  if (late === undefined) notes.push("the broadcast's start time is unknown, so its start is not");
  else holes.push({ before: 0, fromSeconds: 0, forSeconds: late + BACKFILL_MARGIN_SECONDS });
  const origin = edges[0];
  for (let index = 1; index < edges.length; index++) {
    const a = edges[index - 1];
    const b = edges[index];
    if (!a || !b || !origin) continue;
    const gap = tsGapSeconds(a, b);
    if (gap < BACKFILL_MIN_GAP_SECONDS) continue;
    if (gap > NEW_CLOCK_SECONDS) {
      notes.push(`the hole before part ${index + 1} has no measure (a new broadcast clock)`);
      continue;
    }
    const at = (late ?? 0) + ptsDelta(origin.first, a.last + a.step) / TS_CLOCK;
    const from = Math.max(0, at - BACKFILL_MARGIN_SECONDS);
    holes.push({
      before: index,
      fromSeconds: from,
      forSeconds: at + gap - from + BACKFILL_MARGIN_SECONDS,
    });
  }
  return { holes, notes };
}

/** Seconds from going live to the first data (0 when the clocks disagree). */
function lateSeconds(request: BackfillRequest): number | undefined {
  if (!request.liveSince || !request.firstDataAt) return undefined;
  const late = (Date.parse(request.firstDataAt) - Date.parse(request.liveSince)) / 1000;
  return Number.isFinite(late) ? Math.max(0, late) : undefined;
}

/**
 * Fetches a hole's stretch of the VOD and keeps the bytes between the seams as a new part
 * (`<base>_vodNN.ts`); the download itself is removed.
 */
async function fillHole(
  request: BackfillRequest,
  hole: Hole,
  number: number,
): Promise<{ path?: string; seconds: number } | { note: string }> {
  const name = `${request.base}_vod${String(number).padStart(2, "0")}`;
  const download = join(request.tempDir, `${name}.download.ts`);
  const path = join(request.tempDir, `${name}.ts`);
  await removeIfExists(download);
  try {
    const url = request.vodUrlTemplate.replaceAll("{id}", request.vodId ?? "");
    const fetch = request.fetch ?? runStreamlink;
    const result = await fetch(
      vodFetchArgs({
        url,
        quality: request.quality,
        output: download,
        startSeconds: Math.floor(hole.fromSeconds),
        durationSeconds: Math.ceil(hole.forSeconds),
      }),
      fetchTimeoutMs(hole.forSeconds),
    );
    const size = (await Deno.stat(download).catch(() => undefined))?.size ?? 0;
    if (result.code !== 0 || size === 0) {
      return { note: `VOD ${request.vodId} cannot be fetched: ${lastLine(result.stderr)}` };
    }
    const span = await seams(request, hole, download);
    if ("note" in span) return span;
    if (span.end <= span.start) return { seconds: 0 };
    await copyRange(download, span.start, span.end, path);
    const edges = await tsEdges(path);
    const seconds = edges ? ptsDelta(edges.first, edges.last + edges.step) / TS_CLOCK : 0;
    return { path, seconds };
  } finally {
    await removeIfExists(download);
  }
}

/**
 * Where the fill lies in the download: after the last packets of the part before the hole, up
 * to the first packets of the part after it, both found byte for byte.
 */
async function seams(
  request: BackfillRequest,
  hole: Hole,
  download: string,
): Promise<{ start: number; end: number } | { note: string }> {
  const after = request.parts[hole.before]!;
  let start = 0;
  if (hole.before > 0) {
    const before = request.parts[hole.before - 1]!;
    const tail = await partTail(before);
    const found = await tsNeedleStarts(download, tail);
    const last = found.at(-1);
    if (last === undefined) {
      return { note: `the VOD does not hold the end of ${basename(before)} (seam not found)` };
    }
    start = last + tail.byteLength;
  }
  const head = await partHead(after);
  const found = (await tsNeedleStarts(download, head)).find((at) => at >= start);
  if (found === undefined) {
    return { note: `the VOD does not hold the start of ${basename(after)} (seam not found)` };
  }
  return { start, end: found };
}

async function partHead(path: string): Promise<Uint8Array> {
  using file = await Deno.open(path, { read: true });
  return await readAt(file, 0, SEAM_PACKETS * TS_PACKET_SIZE);
}

async function partTail(path: string): Promise<Uint8Array> {
  using file = await Deno.open(path, { read: true });
  const size = (await file.stat()).size;
  const end = size - (size % TS_PACKET_SIZE);
  const from = Math.max(0, end - SEAM_PACKETS * TS_PACKET_SIZE);
  return await readAt(file, from, end - from);
}

/** Copies bytes [start, end) of `source` to `target` (written beside it, then renamed). */
async function copyRange(source: string, start: number, end: number, target: string) {
  const partial = `${target}.partial`;
  {
    using input = await Deno.open(source, { read: true });
    using output = await Deno.open(partial, { write: true, create: true, truncate: true });
    for (let at = start; at < end;) {
      const chunk = await readAt(input, at, Math.min(1 << 20, end - at));
      if (chunk.byteLength === 0) break;
      let written = 0;
      while (written < chunk.byteLength) written += await output.write(chunk.subarray(written));
      at += chunk.byteLength;
    }
    await output.sync();
  }
  await Deno.rename(partial, target);
}

async function runStreamlink(
  args: readonly string[],
  timeoutMs: number,
): Promise<{ code: number; stderr: string }> {
  try {
    const result = await runCommand("streamlink", args, { signal: AbortSignal.timeout(timeoutMs) });
    return { code: result.code, stderr: `${result.stdout}\n${result.stderr}` };
  } catch (error) {
    return { code: -1, stderr: `streamlink did not finish: ${(error as Error).message}` };
  }
}

function lastLine(text: string): string {
  const lines = text.trim().split("\n").filter((line) => line.trim());
  return lines.findLast((line) => /error/i.test(line)) ?? lines.at(-1) ?? "no output";
}
