/** Helpers for end-to-end tests that drive a live stream and watch the recorder react. */
import type { LiveCheckpoint } from "../src/state/session_manifest.ts";
import { join } from "node:path";
import assert from "node:assert/strict";
import { frameHashes } from "./frames.ts";
import {
  collect,
  defaultConfig,
  deliveredRecording,
  hostingConfig,
  listDir,
  recordingsOf,
  type Sandbox,
  spawnCli,
  statusJson,
} from "./cli.ts";
import { pidsWith } from "./processes.ts";
import { mountTmpfs } from "./tmpfs.ts";
import { eventually } from "./eventually.ts";
import { type LiveHlsServer, startHlsServer } from "./hls_server.ts";

/** Waits `ms` of wall time (the live stream runs in real time). */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `fn` with a fresh local HLS server (ended channels go offline 1.2 s later), closing it after. */
export async function withHlsServer(fn: (server: LiveHlsServer) => Promise<void>): Promise<void> {
  const server = await startHlsServer({ endGraceMs: 1200 });
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

/** Waits until `status --json` shows `user`'s recording in `state`; returns that recording. */
export function waitForState(sandbox: Sandbox, user: string, state: string, timeoutMs = 60_000) {
  return eventually(`${user} ${state}`, async () => {
    const status = await statusJson(sandbox);
    return status.recordings.find((r) => r.user === user && r.state === state);
  }, timeoutMs);
}

/** What a test reads of a session's live journal (`session.json`'s `live`). */
export interface LiveJournalView {
  readonly freed_bytes?: number;
  readonly checkpoint?: LiveCheckpoint;
}

/** The live journal of the one session in the session folder (undefined before it exists). */
export async function liveJournal(
  sandbox: { tempDir: string },
): Promise<LiveJournalView | undefined> {
  const name = (await listDir(sandbox.tempDir)).find((n) => n.endsWith(".session.json"));
  if (!name) return undefined;
  const text = await Deno.readTextFile(join(sandbox.tempDir, name)).catch(() => "{}");
  return JSON.parse(text).live;
}

/** Waits until the recorder freed part of its parts in place (journaled, then freed). */
export function partsFreed(sandbox: { tempDir: string }): Promise<number> {
  return eventually("a prefix of the parts freed", async () => {
    const freed = (await liveJournal(sandbox))?.freed_bytes ?? 0;
    return freed > 0 ? freed : undefined;
  }, 120_000);
}

/**
 * The environment of a recorder that keeps only a 12 s repeat tail (the test servers' windows are
 * 10 to 20 s), so a short recording already frees its parts.
 */
export const FREEING = { TWITCHTOOL_LIVE_KEEP_SECONDS: "12" };

/**
 * Gives `sandbox`'s record dir a disk of `times` × `bytes` (a tmpfs, whole pages) and a config
 * that lets a recording use all of it (no free-space floor): a small VPS's disk.
 */
export async function smallRecordDisk(
  sandbox: Sandbox,
  urlTemplate: string,
  bytes: number,
  times: number,
): Promise<AsyncDisposable> {
  await sandbox.writeConfig(
    defaultConfig(sandbox, urlTemplate).replace(
      "disk_free_min_bytes = 1048576",
      "disk_free_min_bytes = 0",
    ),
  );
  return await mountTmpfs(sandbox.recordDir, `${Math.ceil(bytes * times / 4096) * 4}k`);
}

/**
 * Records `user` with {@link FREEING} until part of its part is freed, then kills the recorder
 * with SIGKILL (its pid goes into `leftovers`; its streamlink runs on) and checks that the part
 * journaled at the checkpoint really has a hole.
 */
export async function recorderKilledAfterFreeing(
  sandbox: Sandbox,
  user: string,
  leftovers: Set<number>,
): Promise<void> {
  const recorder = spawnCli(sandbox, ["record", user], { env: FREEING });
  leftovers.add(recorder.pid);
  await partsFreed(sandbox);
  recorder.kill("SIGKILL");
  await collect(recorder);
  const part = (await liveJournal(sandbox))!.checkpoint!.part;
  const stat = await Deno.stat(part);
  if (stat.blocks! * 512 >= stat.size) {
    throw new Error(`${part} has no hole: ${stat.blocks} blocks of ${stat.size} bytes`);
  }
}

/** How an adoption test goes: how the first poller ends, and whether a reconnect follows. */
export interface Adoption {
  readonly signal: "SIGKILL" | "SIGTERM";
  /** The adopted streamlink killed once the second poller goes on: its next part repeats. */
  readonly reconnect?: boolean;
}

/**
 * A poller hosts `user` (with {@link FREEING}) until its part was freed and ends with
 * `adoption.signal`; a second one adopts the session. Waits until the second frees past the first
 * one's checkpoint (it goes on with the live file), reconnects if asked, waits until it delivers
 * and stops it. Then the delivered file must be one file holding `source()` frame for frame,
 * delivered live (after a reconnect with its repeat counted as dropped), with nothing left in
 * the session folder. Every pid met goes into `leftovers`.
 */
export async function adoptedDeliveredLive(
  sandbox: Sandbox,
  urlTemplate: string,
  user: string,
  adoption: Adoption,
  source: () => Promise<string[]>,
  leftovers: Set<number>,
): Promise<void> {
  const configPath = await hostingConfig(sandbox, urlTemplate, [user]);
  const poll = () => spawnCli(sandbox, ["--config", configPath, "poller", "run"], { env: FREEING });
  const first = poll();
  leftovers.add(first.pid);
  await partsFreed(sandbox);
  first.kill(adoption.signal);
  await collect(first);
  const left = (await liveJournal(sandbox))!.checkpoint!;
  const second = poll();
  leftovers.add(second.pid);
  await eventually("the part freed on after the adoption", async () => {
    const checkpoint = (await liveJournal(sandbox))?.checkpoint;
    return checkpoint && checkpoint.offset > left.offset || undefined;
  });
  if (adoption.reconnect) await reconnectCapture(sandbox, leftovers);
  const mp4s = await eventually("the adopted recording delivered", async () => {
    const found = await recordingsOf(sandbox.recordDir, user);
    return found.length > 0 ? found : undefined;
  }, 300_000);
  second.kill("SIGTERM");
  await collect(second);
  for (const pid of await pidsWith(sandbox.tempDir)) leftovers.add(pid);
  const { mp4, entry } = await deliveredRecording(sandbox);
  assert.deepEqual([mp4], mp4s);
  assert.deepEqual(await frameHashes(mp4), await source());
  assert.equal(entry.coverage.delivered_by, "live", JSON.stringify(entry));
  if (adoption.reconnect) {
    assert.ok(entry.coverage.repeats_dropped_seconds > 0, JSON.stringify(entry));
  }
  assert.deepEqual(await listDir(sandbox.tempDir), [], "nothing left in the session folder");
}

/**
 * SIGKILL for each of `pids`, noted in `killed`. Besides the process meant, a short-lived helper
 * naming the same file (the hole punch, a probe) may be listed and already gone: that is fine.
 */
export function sigkill(pids: readonly number[], killed: Set<number>): void {
  for (const pid of pids) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    killed.add(pid);
  }
}

/**
 * Kills the streamlink writing the part of the live journal's checkpoint: the capture loop starts
 * the next part, which repeats what the live window still holds.
 */
async function reconnectCapture(sandbox: Sandbox, killed: Set<number>): Promise<void> {
  const part = (await liveJournal(sandbox))!.checkpoint!.part;
  sigkill(await pidsWith(part), killed);
}
