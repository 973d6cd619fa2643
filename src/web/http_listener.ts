/**
 * A minimal HTTP/1.1 server for the status page, on a plain TCP listener so every connection
 * has hard limits `Deno.serve` does not offer (docs/design.md, "The status page's listener",
 * has the measurements): the request head must arrive within {@link REQUEST_TIMEOUT_MS} and
 * fit in {@link MAX_HEAD_BYTES}, the whole exchange (answer included) is cut at the same
 * deadline, no body is ever read, and every connection closes after one answer. At most
 * {@link MAX_CONNECTIONS} are open at once, and when that many are, or the process runs out of
 * file descriptors, the oldest connection still sending its head is closed to make room (see
 * `_open_connections.ts`): a client that holds hundreds of half-sent requests delays nobody
 * else, and a full descriptor table never stops the page. Nothing here is anything the poll
 * loop waits on.
 */
import { getLogger } from "@logtape/logtape";
import { systemClock } from "../util/clock.ts";
import { closeQuietly, type HeadArrived, OpenConnections } from "./_open_connections.ts";
import { readHead, type RequestHead } from "./_request_head.ts";

export { MAX_HEAD_BYTES } from "./_request_head.ts";

const log = getLogger(["twitchtool", "web"]);

/** Longest a connection may take from accept to the end of its answer. */
export const REQUEST_TIMEOUT_MS = 10_000;
/** Connections open at once; a new one beyond makes room by closing the oldest idle one. */
export const MAX_CONNECTIONS = 512;
/** First and longest wait after `accept` failed with nothing to close. */
const ACCEPT_RETRY_MS = { first: 50, longest: 2000 };

const REASONS: Readonly<Record<number, string>> = {
  200: "OK",
  400: "Bad Request",
  401: "Unauthorized",
  404: "Not Found",
  405: "Method Not Allowed",
  413: "Content Too Large",
  414: "URI Too Long",
  421: "Misdirected Request",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/** Methods turned into a `Request` (the handler refuses all but GET and HEAD). */
const KNOWN_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"];

/** A listening server. */
export interface HttpListener {
  readonly addr: Deno.NetAddr;
  /** Resolves when the listener and every connection have closed after `signal` aborted. */
  readonly finished: Promise<void>;
}

type Handler = (request: Request) => Response | Promise<Response>;

/**
 * Listens on `hostname:port` (throws at once, e.g. `AddrInUse` or `NotCapable`) and answers
 * each request with `handler` until `signal` aborts.
 */
export function listenHttp(
  options: { hostname: string; port: number; signal: AbortSignal },
  handler: Handler,
): HttpListener {
  const listener = Deno.listen({ hostname: options.hostname, port: options.port });
  const open = new OpenConnections();
  const close = () => {
    try {
      listener.close();
    } catch {
      // Already closed.
    }
    open.closeAll();
  };
  options.signal.addEventListener("abort", close, { once: true });
  const origin = `http://${urlHost(options.hostname)}`;
  const accepting = acceptLoop(listener, open, options.signal, (conn) => {
    open.add(conn, (headArrived) => serveConnection(conn, origin, handler, headArrived));
  });
  return { addr: listener.addr as Deno.NetAddr, finished: accepting.then(close) };
}

/**
 * Accepts until `signal` aborts. A failed accept never ends it: out of file descriptors
 * (`EMFILE`, `ENFILE`) it closes the oldest idle connection and tries again, otherwise it waits
 * (50 ms, doubling up to 2 s) before trying again.
 */
async function acceptLoop(
  listener: Deno.Listener,
  open: OpenConnections,
  signal: AbortSignal,
  serve: (conn: Deno.Conn) => void,
): Promise<void> {
  let retryMs = ACCEPT_RETRY_MS.first;
  let evictions = 0;
  while (!signal.aborted) {
    let conn: Deno.Conn;
    try {
      conn = await listener.accept();
    } catch (error) {
      if (signal.aborted || error instanceof Deno.errors.BadResource) return;
      if (outOfDescriptors(error) && await open.evictOldest()) {
        if (evictions++ % 100 === 0) {
          log.warn("Status page out of file descriptors: closed {count} idle connection(s)", {
            count: evictions,
          });
        }
        continue;
      }
      if (retryMs === ACCEPT_RETRY_MS.first) {
        log.warn("Status page cannot accept, retrying: {error}", { error: String(error) });
      }
      await systemClock.sleep(retryMs, signal);
      retryMs = Math.min(retryMs * 2, ACCEPT_RETRY_MS.longest);
      continue;
    }
    retryMs = ACCEPT_RETRY_MS.first;
    if (open.size >= MAX_CONNECTIONS) await open.evictOldest();
    serve(conn);
  }
}

/** The process (or the system) has no file descriptor left for a new connection. */
function outOfDescriptors(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "EMFILE" || code === "ENFILE";
}

/** One request and its answer within the deadline, then close. */
async function serveConnection(
  conn: Deno.Conn,
  origin: string,
  handler: Handler,
  headArrived: HeadArrived,
): Promise<void> {
  const timer = setTimeout(() => closeQuietly(conn), REQUEST_TIMEOUT_MS);
  try {
    const head = await readHead(conn);
    if (head === undefined) return;
    headArrived();
    const response = "status" in head
      ? plain(head.status, head.message)
      : await answerHead(head, origin, handler);
    await writeResponse(conn, response, "method" in head && head.method === "HEAD");
  } catch {
    // The client went away or the deadline closed the connection: nothing to answer.
  } finally {
    clearTimeout(timer);
    closeQuietly(conn);
  }
}

async function answerHead(
  head: RequestHead,
  origin: string,
  handler: Handler,
): Promise<Response> {
  if (!KNOWN_METHODS.includes(head.method)) return plain(405, "Read-only: only GET and HEAD\n");
  let url: URL;
  try {
    // Joined as text: a target like `//other/x` stays a path of this origin.
    url = new URL(origin + head.target);
  } catch {
    return plain(400, "Bad request target\n");
  }
  try {
    return await handler(new Request(url, { method: head.method, headers: head.headers }));
  } catch (error) {
    log.warn("Status page request failed: {error}", { error: String(error) });
    return plain(500, "Internal error\n");
  }
}

/** Writes status line, headers and (unless HEAD) the body, announcing the close. */
async function writeResponse(conn: Deno.Conn, response: Response, headOnly: boolean) {
  const body = new Uint8Array(await response.arrayBuffer());
  const lines = [`HTTP/1.1 ${response.status} ${REASONS[response.status] ?? "Unknown"}`];
  response.headers.forEach((value, name) => lines.push(`${name}: ${value}`));
  lines.push(`content-length: ${body.length}`, "connection: close", "", "");
  const headBytes = new TextEncoder().encode(lines.join("\r\n"));
  await writeAll(conn, headBytes);
  if (!headOnly) await writeAll(conn, body);
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
}

function plain(status: number, text: string): Response {
  return new Response(text, { status, headers: { "content-type": "text/plain; charset=utf-8" } });
}

/** `hostname` as a URL writes it: an IPv6 address in brackets. */
export function urlHost(hostname: string): string {
  return hostname.includes(":") ? `[${hostname}]` : hostname;
}
