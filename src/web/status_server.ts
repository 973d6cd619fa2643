/**
 * The HTTP side of the status page: `GET /` (the page), `/api/status` (exactly `status
 * --json`), `/api/page` (what the page draws) and `/metrics` (Prometheus). Read-only by
 * construction: only GET and HEAD are answered, no route changes anything, and every answer
 * comes from the {@link SnapshotCache} in memory, so a request never touches a file and can
 * neither wait on nor be waited on by the poll loop. Limits: no request body, a 2 KiB URL, and
 * the connection limits of `http_listener.ts` (head size, one deadline per connection, a cap on
 * open connections). With a token set, every route requires it (`Authorization: Bearer` or
 * `?token=`); without one, a request whose `Host` names another server is refused (421), so a
 * DNS-rebinding page cannot read this one through its own name.
 */
import { getLogger } from "@logtape/logtape";
import { ConfigError } from "../errors.ts";
import { statusJsonText } from "../state/status_snapshot.ts";
import { type HttpListener, listenHttp, urlHost } from "./http_listener.ts";
import { type ListenAddress, namesThisServer } from "./listen_address.ts";
import { METRICS_CONTENT_TYPE, renderMetrics } from "./prometheus_text.ts";
import type { SnapshotCache } from "./snapshot_cache.ts";
import { statusPageHtml } from "./status_page_html.ts";

const log = getLogger(["twitchtool", "web"]);

/** Longest request URL answered. */
export const MAX_URL_BYTES = 2048;

/** A listening status server. */
export interface StatusServer {
  /** The bound port (the asked one, or the one the OS picked for port 0). */
  readonly port: number;
  /** `http://host:port/` (without the token). */
  readonly url: string;
  /** Resolves once the server has closed (after the signal aborted). */
  readonly finished: Promise<void>;
}

/** What {@link serveStatusPage} needs. */
export interface StatusServerOptions {
  readonly address: ListenAddress;
  readonly token: string | undefined;
  readonly cache: SnapshotCache;
  readonly signal: AbortSignal;
}

/**
 * Starts listening (exit 2 when the address is taken or not allowed) and serves until
 * `signal` aborts.
 */
export function serveStatusPage(options: StatusServerOptions): StatusServer {
  const { address, signal } = options;
  let server: HttpListener;
  try {
    server = listenHttp(
      { hostname: address.hostname, port: address.port, signal },
      (request) => answer(request, options),
    );
  } catch (error) {
    throw listenError(address, error);
  }
  const url = `http://${urlHost(address.hostname)}:${server.addr.port}/`;
  log.info("Status page at {url}", { url });
  return { port: server.addr.port, url, finished: server.finished };
}

function listenError(address: ListenAddress, error: unknown): Error {
  const where = `${address.hostname}:${address.port}`;
  if (error instanceof Deno.errors.AddrInUse) {
    return new ConfigError(`Cannot serve the status page on "${where}": address in use`);
  }
  if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
    return new ConfigError(
      `Cannot serve the status page on "${where}": listening there is not permitted ` +
        `(run with --allow-net=${address.hostname}; see docs/web.md)`,
      { cause: error },
    );
  }
  return new ConfigError(`Cannot serve the status page on "${where}": ${String(error)}`, {
    cause: error,
  });
}

const COMMON_HEADERS = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
};

/** Answers one request from the cache. */
export function answer(request: Request, options: StatusServerOptions): Response {
  if (request.method !== "GET" && request.method !== "HEAD") {
    return plain(405, "Read-only: only GET and HEAD\n", { allow: "GET, HEAD" });
  }
  if (request.url.length > MAX_URL_BYTES) return plain(414, "URL too long\n");
  const length = request.headers.get("content-length");
  if ((length !== null && length !== "0") || request.headers.has("transfer-encoding")) {
    return plain(413, "No request body accepted\n");
  }
  const url = new URL(request.url);
  if (options.token !== undefined) {
    if (!authorized(request, url, options.token)) {
      return plain(401, "Token required\n", { "www-authenticate": 'Bearer realm="twitchtool"' });
    }
  } else if (!namesThisServer(request.headers.get("host"), options.address)) {
    return plain(
      421,
      "Misdirected request: open the page as localhost, 127.0.0.1 or its listen address\n",
    );
  }
  const page = options.cache.current;
  switch (url.pathname) {
    case "/":
      return respond(statusPageHtml(page ?? null), "text/html; charset=utf-8", {
        "content-security-policy":
          "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; " +
          "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; " +
          "frame-ancestors 'none'",
      });
    case "/api/status":
      if (!page) return plain(503, "No reading yet\n");
      return respond(statusJsonText(page.status) + "\n", "application/json");
    case "/api/page":
      if (!page) return plain(503, "No reading yet\n");
      return respond(JSON.stringify(page), "application/json");
    case "/metrics":
      if (!page) return plain(503, "No reading yet\n");
      return respond(renderMetrics(page), METRICS_CONTENT_TYPE);
    default:
      return plain(404, "Not found\n");
  }
}

/** The bearer token or `?token=`, compared without an early exit. */
function authorized(request: Request, url: URL, token: string): boolean {
  const header = request.headers.get("authorization") ?? "";
  const bearer = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
  const given = bearer ?? url.searchParams.get("token") ?? "";
  return sameText(given, token);
}

function sameText(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

function respond(body: string, type: string, extra: Record<string, string> = {}): Response {
  return new Response(body, { headers: { ...COMMON_HEADERS, "content-type": type, ...extra } });
}

function plain(status: number, text: string, extra: Record<string, string> = {}): Response {
  return new Response(text, {
    status,
    headers: { ...COMMON_HEADERS, "content-type": "text/plain; charset=utf-8", ...extra },
  });
}
