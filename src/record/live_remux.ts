/**
 * The deliverable written while the broadcast is captured (`[record] live_remux`), so that the end
 * of a broadcast costs a close and a rename instead of a pass over every part.
 *
 * Why this shape: streamlink keeps writing part files (a detached one outlives the poller, and
 * `recover` and adoption work from the parts), and this remuxer *reads each part as it grows*,
 * drops the head a reconnected streamlink repeats (the same byte comparison finalize makes,
 * `part_overlap.ts`, waiting only for as many bytes as the comparison needs) and pipes the rest
 * into one long-lived ffmpeg per recording that writes fragmented MP4 into the session folder.
 * The feed is the very stream finalize gives its ffmpeg (parts in order, repeats skipped), so ads
 * on their own clock, encoder restarts, resolution changes and the 33-bit wrap come out as they
 * do there. A fragmented MP4 plays and seeks while it grows and stays readable up to its last
 * whole fragment (about two seconds) whatever is killed. Parts streamlink writes as fragmented
 * MP4 need no ffmpeg: their fragments are appended as they are (`live_fmp4.ts`).
 *
 * With `free` on, what the live file holds is freed from the parts as the recording goes
 * (`live_checkpoint.ts`): every few seconds the file's complete fragments are read, the file is
 * fsync'd, the point up to which it holds the recording is journaled in the session manifest,
 * and only then is that prefix of each part punched out in place (its head and the tail a
 * reconnect may repeat stay). A host that adopts the session goes on with the live file from
 * that point (`LiveResume`), and so does `recover` (`continueLiveFile`). Whenever the live file
 * cannot be trusted (ffmpeg died, the host went away or was killed before a checkpoint, back-fill
 * must go in, an fMP4 source changed its init segment or its clock went back, the file fails
 * verification) the session is finalized from the live file up to that point and the parts from
 * there on (`finalize.ts`), and the manifest, `history --json` and the job's note say which path
 * delivered.
 */
import { join } from "node:path";
import { getLogger } from "@logtape/logtape";
import {
  liveFmp4Args,
  lowPriorityCommand,
  type LowPriorityTools,
  NORMAL_PRIORITY,
} from "../proc/ffmpeg_args.ts";
import { probeMedia } from "../proc/ffprobe.ts";
import type { LiveCheckpoint, LiveRemuxJournal } from "../state/session_manifest.ts";
import { sizeOrZero, writeFileAtomic } from "../state/atomic_write.ts";
import { freeRange, punchHole } from "../proc/punch_hole.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { readAt, readInto } from "../util/read_at.ts";
import { packetsRead } from "./finalize.ts";
import { FedVideoIndex, Fmp4FreeIndex, type FreePlan } from "./live_checkpoint.ts";
import { readFmp4Layout } from "./fmp4_fragments.ts";
import { liveRoomMetadata } from "./live_header.ts";
import { Fmp4LiveFile } from "./live_fmp4.ts";
import { readBoxHeader } from "../util/mp4_box.ts";
import { boxesOf } from "../util/mp4_box_stream.ts";
import { lockedCommand } from "../proc/locked_command.ts";
import { partContainer } from "./part_container.ts";
import { REPEAT_NEEDLE_BYTES, tsRepeatedBytes, tsRepeatLengthBound } from "./part_overlap.ts";

const log = getLogger(["twitchtool", "record"]);

/** Why a remuxer stopped when its capture was left running for the next poller. */
const LEFT = "the capture was left running for the next poller";

/** How often a growing part is checked for new bytes. */
const FOLLOW_MS = 250;

/** Bytes read from a part per write into ffmpeg. */
const CHUNK = 1 << 20;

/** The first part is probed (H.264 or HEVC) once it holds this much, or once it ended. */
const PROBE_BYTES = 256 * 1024;

/** How often the parts' prefix held by the live file is checked and freed. */
const FREE_EVERY_MS = 3000;

/** Seconds of each part's tail kept for the repeat check: Twitch's live window is 30-40 s. */
export const KEEP_SECONDS = 60;

/** Freeing the parts as the live file takes them in (see the module doc). */
export interface LiveFreeing {
  /** Seconds of each part's tail kept for the repeat check ({@link KEEP_SECONDS}). */
  readonly keepSeconds: number;
  /** Makes the journal (with the new checkpoint) durable before anything is freed. */
  readonly journal: () => Promise<void>;
}

/**
 * Where an adopted session's live file goes on: the checkpoint its previous host journaled, the
 * parts the session kept so far and the bytes freed of them.
 */
export interface LiveResume {
  readonly checkpoint: LiveCheckpoint;
  readonly parts: readonly string[];
  readonly freedBytes: number;
}

/**
 * Goes on with the live file of a session whose host went away without handing it to another
 * (`recover` after a kill): the parts from the journaled checkpoint on are appended to it, as an
 * adopting poller does while capturing, and freed as they go (each new checkpoint handed to
 * `journal` first), so the recording is delivered from the live file without a second copy on
 * disk. Returns the remuxer's journal: `closed` when the file is whole.
 */
export async function continueLiveFile(
  tempDir: string,
  base: string,
  resume: LiveResume,
  options: { journal: (live: LiveRemuxJournal) => Promise<void>; lowPriority?: LowPriorityTools },
): Promise<LiveRemuxJournal> {
  const free = { keepSeconds: KEEP_SECONDS, journal: () => options.journal(live.journal) };
  const lowPriority = options.lowPriority ? { lowPriority: options.lowPriority } : {};
  const live: LiveRemux = new LiveRemux(tempDir, base, { resume, free, ...lowPriority });
  return await live.drain();
}

/** The growing deliverable of session `base`: `<tempDir>/<base>.live.mp4`. */
export function liveFilePath(tempDir: string, base: string): string {
  return join(tempDir, `${base}.live.mp4`);
}

/**
 * The ffmetadata beside live file `liveFile` that pads its index with room for the chapters
 * (`live_header.ts`): `<tempDir>/<base>.live.ffmeta`.
 */
export function liveRoomPath(liveFile: string): string {
  return liveFile.replace(/\.mp4$/, ".ffmeta");
}

/** One part as the remuxer follows it. */
interface FollowedPart {
  readonly path: string;
  /** `kept`: complete and kept by the capture loop; `discarded`: removed, never fed. */
  end?: "kept" | "discarded";
}

/** The running ffmpeg and its stdin. */
interface LiveFfmpeg {
  readonly process: Deno.ChildProcess;
  readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  /** ffmpeg's stderr lines worth keeping: packet counts and errors. */
  readonly notes: Promise<string[]>;
  /**
   * An adopted session's: ffmpeg writes to its stdout, whose fragments are appended to the live
   * file the previous host's ffmpeg wrote (`Fmp4LiveFile.continue`) until ffmpeg ends.
   */
  readonly continued?: { readonly file: Fmp4LiveFile; readonly appended: Promise<void> };
}

/** Where the remuxer is told about parts and asked for its result; see the module doc. */
export class LiveRemux {
  readonly file: string;
  readonly #clock: Clock;
  readonly #parts: FollowedPart[] = [];
  #wake: (() => void) | undefined;
  #wakeFree: (() => void) | undefined;
  #closing = false;
  /** Every part is known and ended ({@link LiveRemux.drain}). */
  #endOfParts = false;
  #failed: string | undefined;
  #ffmpeg: LiveFfmpeg | undefined;
  /** The appender, when the parts are fragmented MP4 (no ffmpeg then: `live_fmp4.ts`). */
  #fmp4: Fmp4LiveFile | undefined;
  /** Bytes of the parts taken in so far ({@link LiveRemux.fedBytes}). */
  #fed = 0;
  /** The last part fed, which a new part's repeated head is compared with. */
  #previous: string | undefined;
  readonly #pump: Promise<void>;
  readonly #freeing: LiveFreeing | undefined;
  readonly #index: FedVideoIndex | undefined;
  /** What of fMP4 parts the live file holds (freeing on, parts fragmented MP4). */
  readonly #fmp4Index: Fmp4FreeIndex | undefined;
  readonly #freeLoop: Promise<void>;
  /** Where the live file is known to hold the recording up to (journaled before any punch). */
  #checkpoint: LiveCheckpoint | undefined;
  /** Per part: freed up to this offset. */
  readonly #freedTo = new Map<string, number>();
  /**
   * The one buffer parts are read into: ffmpeg has taken a chunk once its write resolved, and
   * the index reads it in place, so a recording makes no garbage per megabyte fed.
   */
  readonly #chunk = new Uint8Array(CHUNK);
  #freed = 0;
  /** The last reason freeing failed, logged once. */
  #freeError: string | undefined;

  /** The checkpoint an adopted session's live file is reopened at (see {@link LiveResume}). */
  readonly #resume: LiveCheckpoint | undefined;
  readonly #lowPriority: LowPriorityTools;

  constructor(
    tempDir: string,
    base: string,
    options: {
      clock?: Clock;
      free?: LiveFreeing;
      resume?: LiveResume;
      /** Runs an adopted session's ffmpeg under nice/ionice (a `recover` beside captures). */
      lowPriority?: LowPriorityTools;
    } = {},
  ) {
    this.file = liveFilePath(tempDir, base);
    this.#clock = options.clock ?? systemClock;
    this.#freeing = options.free;
    this.#index = options.free ? new FedVideoIndex(options.free.keepSeconds) : undefined;
    this.#fmp4Index = options.free ? new Fmp4FreeIndex(options.free.keepSeconds) : undefined;
    this.#resume = options.resume?.checkpoint;
    this.#lowPriority = options.lowPriority ?? NORMAL_PRIORITY;
    if (options.resume) this.#resumeFrom(options.resume);
    this.#pump = this.#run().catch((error) => this.#fail((error as Error).message));
    this.#freeLoop = this.#freeWhileFed();
  }

  /**
   * Takes over what the previous host journaled: its checkpoint (nothing is freed past it before
   * a newer one is journaled), the bytes it freed, and the parts from the checkpoint's on to be
   * followed (the checkpoint's from its offset: `#followFmp4`, `#follow`).
   */
  #resumeFrom(resume: LiveResume): void {
    this.#checkpoint = resume.checkpoint;
    this.#freed = resume.freedBytes;
    const from = resume.parts.indexOf(resume.checkpoint.part);
    if (from < 0) return;
    for (const path of resume.parts.slice(from)) this.#parts.push({ path, end: "kept" });
  }

  /** The journal entry of the file as of now. */
  get journal(): LiveRemuxJournal {
    return this.#failed
      ? { file: this.file, state: "failed", reason: this.#failed, ...this.#freedJournal() }
      : this.#runningJournal();
  }

  #runningJournal(): LiveRemuxJournal {
    return { file: this.file, state: "running", ...this.#freedJournal() };
  }

  #freedJournal(): Pick<LiveRemuxJournal, "checkpoint" | "freed_bytes"> {
    return {
      ...(this.#checkpoint ? { checkpoint: this.#checkpoint } : {}),
      ...(this.#freed > 0 ? { freed_bytes: this.#freed } : {}),
    };
  }

  /**
   * Bytes of the parts taken in so far: given to ffmpeg (a reconnect's repeated head not
   * counted), or for fMP4 parts every box read (the bench waits for the feed to catch up).
   */
  get fedBytes(): number {
    return this.#fed;
  }

  /** streamlink starts writing `path`. */
  partStarted(path: string): void {
    this.#parts.push({ path });
    this.#poke();
  }

  /** The capture loop is done with `path`: kept, or discarded (empty or wholly a repeat). */
  partEnded(path: string, end: "kept" | "discarded"): void {
    const part = this.#parts.find((p) => p.path === path && !p.end);
    if (part) part.end = end;
    this.#poke();
  }

  /** Gives up on the live file for good: the parts will be finalized. */
  abandon(reason: string): void {
    this.#fail(reason);
  }

  /**
   * The capture is left running for the next poller: following stops, and a live file with a
   * journaled checkpoint is handed over as it is, `running` at that checkpoint, for the next host
   * to go on with (`Fmp4LiveFile.resume` or `continue`); ffmpeg is let finish (the next host
   * waits for its lock) and what it writes after the checkpoint is cut off then. Without a
   * checkpoint the file is given up and the parts will be finalized.
   */
  async leave(): Promise<LiveRemuxJournal> {
    if (!this.#checkpoint || this.#failed) {
      this.abandon(LEFT);
      return await this.finish();
    }
    this.#failed = LEFT;
    this.#poke();
    await this.#pump;
    await this.#freeLoop;
    this.#fmp4?.abandon();
    const ffmpeg = this.#ffmpeg;
    if (ffmpeg) {
      await ffmpeg.writer.close().catch(() => {});
      await Promise.all([ffmpeg.process.status, ffmpeg.notes, ffmpeg.continued?.appended]);
      ffmpeg.continued?.file.abandon();
    }
    log.info("Live file {file} left at its checkpoint for the next poller", { file: this.file });
    return this.#runningJournal();
  }

  /**
   * No part comes any more and every part has ended: follows what is left of them, freeing as it
   * goes (where {@link finish} stops freeing at once), then finishes.
   */
  async drain(): Promise<LiveRemuxJournal> {
    this.#endOfParts = true;
    this.#poke();
    await this.#pump;
    return await this.finish();
  }

  /**
   * Feeds what is left of the parts, closes ffmpeg's input and waits for it: `closed` with the
   * packets read when the file is whole, else `failed` with the reason.
   */
  async finish(): Promise<LiveRemuxJournal> {
    this.#closing = true;
    for (const part of this.#parts) part.end ??= "kept";
    this.#poke();
    await this.#pump;
    await this.#freeLoop;
    if (this.#fmp4) return await this.#closeFmp4(this.#fmp4);
    const ffmpeg = this.#ffmpeg;
    if (!ffmpeg) return { ...this.journal, state: "failed", reason: this.#failed ?? "no data" };
    await ffmpeg.writer.close().catch(() => {});
    const [status, notes] = await Promise.all([ffmpeg.process.status, ffmpeg.notes]);
    await Deno.remove(liveRoomPath(this.file)).catch(() => {});
    if (!this.#failed && status.code !== 0) {
      this.#fail(`ffmpeg exited with ${status.code}: ${notes.at(-1) ?? ""}`);
    }
    if (ffmpeg.continued) {
      await ffmpeg.continued.appended;
      return await this.#closeFmp4(ffmpeg.continued.file);
    }
    if (this.#failed) return this.journal;
    return { ...this.journal, state: "closed", packets: packetsRead(notes.join("\n")) };
  }

  /** Bytes of the parts freed so far. */
  get freedBytes(): number {
    return this.#freed;
  }

  /** Frees what the live file holds every {@link FREE_EVERY_MS} until the feed ends. */
  async #freeWhileFed(): Promise<void> {
    if (!this.#freeing) return;
    while (!this.#closing && !this.#failed) {
      const woken = new Promise<void>((resolve) => this.#wakeFree = resolve);
      const controller = new AbortController();
      await Promise.race([
        woken,
        this.#clock.sleep(FREE_EVERY_MS, controller.signal).catch(() => {}),
      ]);
      controller.abort();
      if (this.#closing || this.#failed) return;
      try {
        await this.#freeHeld();
      } catch (error) {
        // Said once per reason: a filesystem without hole punching would say it every round.
        const reason = (error as Error).message;
        if (reason !== this.#freeError) {
          log.warn("Cannot free the parts of {file}: {reason}", { file: this.file, reason });
        }
        this.#freeError = reason;
      }
    }
  }

  /** One round: read the live file's fragments, fsync it, journal the checkpoint, punch. */
  async #freeHeld(): Promise<void> {
    if (this.#fmp4) return await this.#freeAppended(this.#fmp4);
    if (!this.#ffmpeg || !this.#index) return;
    // Nothing to read before ffmpeg wrote its first fragment (with the index before it).
    const layout = await readFmp4Layout(this.file).catch(() => undefined);
    if (!layout) return;
    // Read before the fsync: every fragment listed was written before it, so it is on disk.
    {
      using live = await Deno.open(this.file, { read: true });
      await live.sync();
    }
    const plan = this.#index.plan(layout);
    if (!plan || plan.checkpoint.offset === this.#checkpoint?.offset) return;
    this.#checkpoint = plan.checkpoint;
    await this.#freeing!.journal();
    await this.#punch(plan);
  }

  /**
   * One round for fMP4 parts: the appender's checkpoint, the live file fsync'd, the checkpoint
   * journaled, then the ranges freed as zeros. Nothing is journaled before there is something to
   * free: until then a fallback finalizes the parts as they are.
   */
  async #freeAppended(fmp4: Fmp4LiveFile): Promise<void> {
    const plan = this.#fmp4Index?.plan(fmp4.shiftSeconds);
    if (!plan || (!this.#checkpoint && plan.ranges.length === 0)) return;
    const { checkpoint } = plan;
    if (
      checkpoint.part === this.#checkpoint?.part && checkpoint.offset === this.#checkpoint.offset
    ) {
      return;
    }
    // Planned before the fsync: every fragment it names was written before it, so is on disk.
    await fmp4.sync();
    this.#checkpoint = checkpoint;
    await this.#freeing!.journal();
    await this.#punch(plan, freeRange);
  }

  /** Frees each part's ranges of `plan` (journaled already), what was freed before skipped. */
  async #punch(plan: FreePlan, free = punchHole): Promise<void> {
    for (const range of plan.ranges) {
      const from = Math.max(range.from, this.#freedTo.get(range.part) ?? 0);
      if (range.to <= from) continue;
      this.#freed += await free(range.part, from, range.to);
      this.#freedTo.set(range.part, range.to);
    }
  }

  #fail(reason: string): void {
    if (this.#failed) return;
    this.#failed = reason;
    log.warn("Live remux of {file} stopped: {reason}; the parts will be finalized instead", {
      file: this.file,
      reason,
    });
    this.#ffmpeg?.writer.abort(new Error(reason)).catch(() => {});
    this.#ffmpeg?.continued?.file.abandon();
    this.#fmp4?.abandon();
    this.#poke();
  }

  #poke(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
    if (this.#closing || this.#failed) this.#wakeFree?.();
  }

  /** Waits for news from the capture loop, or at most {@link FOLLOW_MS}. */
  async #nap(): Promise<void> {
    const woken = new Promise<void>((resolve) => this.#wake = resolve);
    const controller = new AbortController();
    await Promise.race([woken, this.#clock.sleep(FOLLOW_MS, controller.signal).catch(() => {})]);
    controller.abort();
  }

  /** Follows the parts in order until finishing and every part is fed. */
  async #run(): Promise<void> {
    let first: string | undefined;
    for (let index = 0; !this.#failed; index++) {
      while (!this.#parts[index] && !this.#closing && !this.#endOfParts && !this.#failed) {
        await this.#nap();
      }
      const part = this.#parts[index];
      if (!part || this.#failed) return;
      if (index === 0 && this.#resume && part.path !== this.#resume.part) {
        return this.#fail(`the live file goes on in "${this.#resume.part}", not in "${part.path}"`);
      }
      const container = await this.#containerOf(part);
      first ??= container;
      if (container && container !== first) {
        return this.#fail(`"${part.path}" is ${container} where the parts before were ${first}`);
      }
      if (first === "mp4") {
        this.#fmp4 ??= await this.#openAppender();
        await this.#followFmp4(part);
      } else {
        await this.#follow(part);
      }
    }
  }

  /** The fMP4 appender: a new live file, or the adopted session's reopened at its checkpoint. */
  async #openAppender(): Promise<Fmp4LiveFile> {
    const onWritten = this.#fmp4Index?.written.bind(this.#fmp4Index);
    if (!this.#resume) return await Fmp4LiveFile.create(this.file, onWritten);
    const resumed = await Fmp4LiveFile.resume(this.file, this.#resume, onWritten);
    log.info("Live remux of {file} goes on from {part} at byte {offset}", {
      file: this.file,
      part: this.#resume.part,
      offset: this.#resume.offset,
    });
    return resumed;
  }

  /** What the first part holds, once it holds enough to tell (or ended). */
  async #containerOf(part: FollowedPart): Promise<string | undefined> {
    await this.#until(part, async () => await sizeOrZero(part.path) >= PROBE_BYTES);
    return await partContainer(part.path).catch(() => undefined);
  }

  /**
   * Appends one fMP4 part's complete fragments as they are written (`live_fmp4.ts`): its boxes
   * are read one by one as the part grows, a box cut off at the part's end is never taken.
   */
  async #followFmp4(part: FollowedPart): Promise<void> {
    // The checkpoint's part goes on after what the live file holds (its init is the appender's).
    let offset = part.path === this.#resume?.part ? this.#resume.offset : 0;
    let ftyp: Uint8Array = new Uint8Array(0);
    let moof: { bytes: Uint8Array; start: number } | undefined;
    let appended = false;
    let file: Deno.FsFile | undefined;
    try {
      while (!this.#failed) {
        const ended = part.end;
        file ??= await Deno.open(part.path, { read: true }).catch(() => undefined);
        const size = file ? (await file.stat()).size : 0;
        const box = file && offset + 8 <= size
          ? readBoxHeader(await readAt(file, offset, 16), 0, size - offset)
          : undefined;
        if (!box || offset + box.size > size) {
          if (ended) break;
          await this.#nap();
          continue;
        }
        const end = offset + box.size;
        if (box.type === "ftyp") ftyp = await readAt(file!, offset, box.size);
        else if (box.type === "moov") {
          await this.#appender().init(ftyp, await readAt(file!, offset, box.size));
        } else if (box.type === "moof") {
          moof = { bytes: await readAt(file!, offset, box.size), start: offset };
        } else if (box.type === "mdat" && moof) {
          const data = await readAt(file!, offset, box.size);
          const source = { path: part.path, start: moof.start, end };
          if (await this.#appender().fragment(moof.bytes, data, source)) appended = true;
          moof = undefined;
        }
        offset = end;
        this.#fed += box.size;
      }
    } catch (error) {
      this.#fail((error as Error).message);
    } finally {
      file?.close();
    }
    if (appended && part.end === "discarded") {
      this.#fail(`"${part.path}" was discarded after part of it was appended`);
    }
  }

  /** The fMP4 appender, created with the live file at the first init segment. */
  #appender(): Fmp4LiveFile {
    if (!this.#fmp4) throw new Error("the fMP4 live file is not open");
    return this.#fmp4;
  }

  /** Closes the appended live file: `closed` with the samples written. */
  async #closeFmp4(fmp4: Fmp4LiveFile): Promise<LiveRemuxJournal> {
    if (this.#failed) return this.journal;
    try {
      await fmp4.close();
    } catch (error) {
      this.#fail(`cannot close the live file: ${(error as Error).message}`);
      return this.journal;
    }
    return { ...this.journal, state: "closed", packets: { ...fmp4.samples } };
  }

  /** Feeds one part from after its repeated head to its end. */
  async #follow(part: FollowedPart): Promise<void> {
    // The checkpoint's part goes on at its keyframe (what the live file holds ends there).
    const skip = part.path === this.#resume?.part
      ? this.#resume.offset
      : await this.#repeatedHead(part);
    if (skip === undefined) return;
    let offset = skip;
    let file: Deno.FsFile | undefined;
    try {
      for (;;) {
        if (this.#failed) return;
        const ended = part.end;
        file ??= await Deno.open(part.path, { read: true }).catch(() => undefined);
        const size = file ? (await file.stat()).size : 0;
        if (offset < size) {
          const chunk = await readInto(file!, offset, this.#chunk.subarray(0, size - offset));
          if (!(await this.#write(part.path, chunk))) return;
          this.#index?.fed(part.path, offset, chunk);
          offset += chunk.byteLength;
          continue;
        }
        if (ended === "discarded" && offset > skip) {
          throw new Error(`"${part.path}" was discarded after part of it was fed`);
        }
        if (ended) break;
        await this.#nap();
      }
    } finally {
      file?.close();
    }
    // As finalize's join plan: a part wholly repeated is never the one the next is compared with
    // (the checkpoint's part is not a repeat, even when nothing came after the checkpoint).
    const fed = offset > skip || part.path === this.#resume?.part;
    if (fed && part.end === "kept") this.#previous = part.path;
  }

  /**
   * How many leading bytes of `part` repeat the part fed before, waiting for as many bytes as
   * the comparison needs; undefined when the part was discarded before any of it counted.
   */
  async #repeatedHead(part: FollowedPart): Promise<number | undefined> {
    const previous = this.#previous;
    const grown = (bytes: number) =>
      this.#until(part, async () => await sizeOrZero(part.path) >= bytes);
    if (!(await grown(previous ? REPEAT_NEEDLE_BYTES : 1)) && part.end === "discarded") {
      return undefined;
    }
    if (!previous) return 0;
    const head = await readHead(part.path, REPEAT_NEEDLE_BYTES);
    const bound = await tsRepeatLengthBound(previous, head);
    if (bound === 0) return 0;
    await grown(bound);
    if (part.end === "discarded") return undefined;
    return await tsRepeatedBytes(previous, part.path);
  }

  /** Waits until `ready()` or the part ended; whether it got ready. */
  async #until(part: FollowedPart, ready: () => Promise<boolean>): Promise<boolean> {
    for (;;) {
      if (this.#failed) return false;
      const ended = part.end;
      if (await ready()) return true;
      if (ended) return false;
      await this.#nap();
    }
  }

  /** Writes into ffmpeg, starting it at the first bytes (probed for its codec); whether it took them. */
  async #write(path: string, chunk: Uint8Array): Promise<boolean> {
    this.#ffmpeg ??= await this.#startFfmpeg(path);
    try {
      await this.#ffmpeg.writer.write(chunk);
      this.#fed += chunk.byteLength;
      return true;
    } catch (error) {
      // ffmpeg stopped reading: what it said last tells why.
      const said = await Promise.race([this.#ffmpeg.notes, this.#clock.sleep(5000)]);
      const why = Array.isArray(said) ? said.at(-1) : undefined;
      this.#fail(`ffmpeg stopped reading (${why ?? (error as Error).message})`);
      return false;
    }
  }

  /** The long-lived ffmpeg, once the first part shows what it holds. */
  async #startFfmpeg(first: string): Promise<LiveFfmpeg> {
    const part = this.#parts.find((p) => p.path === first);
    if (part) await this.#until(part, async () => await sizeOrZero(first) >= PROBE_BYTES);
    if ((await partContainer(first)) !== "mpegts") {
      throw new Error("the parts are fragmented MP4, which only finalize joins");
    }
    const hevc = (await probeMedia(first))?.streams.some((s) => s.codec_name === "hevc") ?? false;
    if (this.#index) this.#index.hevc = hevc;
    if (this.#resume) return await this.#continueFfmpeg(this.#resume, hevc);
    await Deno.remove(this.file).catch(() => {});
    const roomFile = liveRoomPath(this.file);
    await writeFileAtomic(roomFile, liveRoomMetadata());
    // It holds the live file's lock while it lives: a host adopting the session waits for it to
    // have written its last byte before it cuts the file back (`Fmp4LiveFile.continue`).
    const locked = lockedCommand(
      [this.file],
      "ffmpeg",
      liveFmp4Args(this.file, { hevc, roomFile }),
    );
    const process = spawnLiveFfmpeg(locked, "null");
    log.info("Live remux into {file} (ffmpeg {pid})", { file: this.file, pid: process.pid });
    const onLine = (line: string) => this.#index?.ffmpegSaid(line);
    return {
      process,
      writer: process.stdin.getWriter(),
      notes: keptNotes(process.stderr, onLine),
    };
  }

  /**
   * An adopted session's ffmpeg (MPEG-TS parts): fed the parts from the checkpoint's keyframe on,
   * it writes fragmented MP4 to its stdout, and its fragments are appended to the live file cut
   * back to the checkpoint, moved to follow it.
   */
  async #continueFfmpeg(resume: LiveCheckpoint, hevc: boolean): Promise<LiveFfmpeg> {
    const file = await Fmp4LiveFile.continue(this.file, resume.live_bytes);
    this.#index?.resumeAt(file.samples.video);
    const command = lowPriorityCommand(
      "ffmpeg",
      liveFmp4Args("pipe:1", { hevc }),
      this.#lowPriority,
    );
    const process = spawnLiveFfmpeg(command, "piped");
    log.info("Live remux of {file} goes on from {part} at byte {offset} (ffmpeg {pid})", {
      file: this.file,
      part: resume.part,
      offset: resume.offset,
      pid: process.pid,
    });
    const onLine = (line: string) => this.#index?.ffmpegSaid(line);
    return {
      process,
      writer: process.stdin.getWriter(),
      notes: keptNotes(process.stderr, onLine),
      continued: { file, appended: this.#appendOutput(process.stdout, file) },
    };
  }

  /** Appends the fragments ffmpeg writes to its stdout; a failure gives the live file up. */
  async #appendOutput(stdout: ReadableStream<Uint8Array>, file: Fmp4LiveFile): Promise<void> {
    let ftyp: Uint8Array = new Uint8Array(0);
    let moof: { bytes: Uint8Array; start: number } | undefined;
    try {
      for await (const box of boxesOf(stdout)) {
        if (box.type === "ftyp") ftyp = box.bytes;
        else if (box.type === "moov") await file.init(ftyp, box.bytes);
        else if (box.type === "moof") moof = { bytes: box.bytes, start: box.start };
        else if (box.type === "mdat" && moof) {
          const source = {
            path: "ffmpeg's output",
            start: moof.start,
            end: box.start + box.bytes.byteLength,
          };
          await file.fragment(moof.bytes, box.bytes, source);
          moof = undefined;
        }
      }
    } catch (error) {
      this.#fail(`cannot append the remuxed parts: ${(error as Error).message}`);
      await stdout.cancel().catch(() => {});
    }
  }
}

/**
 * Starts a live ffmpeg (`command`, maybe wrapped in `flock`) with its stdin piped. In its own
 * session: a Ctrl-C on the terminal stops streamlink, never the file in the middle of a write;
 * it still ends with our stdin, however this process ends.
 */
function spawnLiveFfmpeg(
  command: { command: string; args: string[] },
  stdout: "null" | "piped",
): Deno.ChildProcess {
  return new Deno.Command(command.command, {
    args: command.args,
    detached: true,
    stdin: "piped",
    stdout,
    stderr: "piped",
  }).spawn();
}

/** The first `length` bytes of a file. */
async function readHead(path: string, length: number): Promise<Uint8Array> {
  using file = await Deno.open(path, { read: true });
  return await readAt(file, 0, length);
}

/** ffmpeg's stderr lines that count packets or read like an error (the rest is dropped). */
async function keptNotes(
  stderr: ReadableStream<Uint8Array>,
  onLine: (line: string) => void = () => {},
): Promise<string[]> {
  const kept: string[] = [];
  let pending = "";
  const decoder = new TextDecoder();
  for await (const chunk of stderr) {
    pending += decoder.decode(chunk, { stream: true });
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      onLine(line);
      if (/packets read|error|invalid|failed/i.test(line)) kept.push(line);
      if (kept.length > 400) kept.splice(0, 200);
    }
  }
  if (pending) kept.push(pending);
  return kept;
}
