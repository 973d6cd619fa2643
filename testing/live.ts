/** Helpers for end-to-end tests that drive a live stream and watch the recorder react. */
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
