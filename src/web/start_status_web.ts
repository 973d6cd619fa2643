/**
 * The status page as the poller and `status --serve` run it: a {@link SnapshotCache} refreshed
 * on its own timer and a server answering from it. The caller checks the address first
 * ({@link checkedListenAddress}), so a refused `[web]` section fails before any lock is taken.
 */
import { getLogger } from "@logtape/logtape";
import type { Config } from "../config/config.ts";
import type { ListenAddress } from "./listen_address.ts";
import { fileSources, SnapshotCache } from "./snapshot_cache.ts";
import { serveStatusPage, type StatusServer } from "./status_server.ts";

const log = getLogger(["twitchtool", "web"]);

/** A running status page; stops when the signal given to {@link startStatusWeb} aborts. */
export interface StatusWeb extends StatusServer {
  /** Resolves when both the server and the refresh loop have stopped. */
  readonly stopped: Promise<void>;
}

/**
 * Listens on `address` (throws at once when it cannot) and serves until `signal` aborts. The
 * first reading is taken in the background: until it lands, data routes answer 503.
 */
export function startStatusWeb(
  config: Config,
  address: ListenAddress,
  signal: AbortSignal,
  options: { refreshMs?: number } = {},
): StatusWeb {
  const cache = new SnapshotCache(fileSources(config), options);
  const server = serveStatusPage({ address, token: config.web.token, cache, signal });
  const refreshing = cache.run(signal).catch((error) =>
    log.error("Status page refresh stopped: {error}", { error: String(error) })
  );
  return { ...server, stopped: Promise.all([server.finished, refreshing]).then(() => {}) };
}
