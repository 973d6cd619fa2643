/** Helpers for end-to-end tests that drive a live stream and watch the recorder react. */
import { join } from "node:path";
import { type Sandbox, statusJson } from "./cli.ts";
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
  readonly checkpoint?: { readonly part: string };
}

/** The live journal of the one session in the session folder (undefined before it exists). */
export async function liveJournal(
  sandbox: { tempDir: string },
): Promise<LiveJournalView | undefined> {
  const names = await Array.fromAsync(Deno.readDir(sandbox.tempDir)).catch(() => []);
  const name = names.map((entry) => entry.name).find((n) => n.endsWith(".session.json"));
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
