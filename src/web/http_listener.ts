/**
 * A minimal HTTP/1.1 server for the status page, on a plain TCP listener so every connection
 * has hard limits `Deno.serve` does not offer: the request head must arrive within
 * {@link REQUEST_TIMEOUT_MS} and fit in {@link MAX_HEAD_BYTES}, the whole exchange (answer
 * included) is cut at the same deadline, no body is ever read, at most
 * {@link MAX_CONNECTIONS} are open at once, and every connection closes after one answer. A
 * client that stalls mid-headers, announces a body it never sends or never reads the answer
 * holds one connection for at most that long, and never anything the poll loop waits on.
 */
import { getLogger } from "@logtape/logtape";

const log = getLogger(["twitchtool", "web"]);

/** Longest a connection may take from accept to the end of its answer. */
export const REQUEST_TIMEOUT_MS = 10_000;
/** Largest request line plus headers. */
export const MAX_HEAD_BYTES = 8192;
/** Connections open at once; more are closed on accept. */
export const MAX_CONNECTIONS = 512;

const REASONS: Readonly<Record<number, string>> = {
  200: "OK",
  400: "Bad Request",
  401: "Unauthorized",
  404: "Not Found",
  405: "Method Not Allowed",
  413: "Content Too Large",
  414: "URI Too Long",
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

/**
 * Listens on `hostname:port` (throws at once, e.g. `AddrInUse` or `NotCapable`) and answers
 * each request with `handler` until `signal` aborts.
 */
export function listenHttp(
  options: { hostname: string; port: number; signal: AbortSignal },
  handler: (request: Request) => Response | Promise<Response>,
): HttpListener {
  const listener = Deno.listen({ hostname: options.hostname, port: options.port });
  const open = new Set<Deno.Conn>();
  const close = () => {
    try {
      listener.close();
    } catch {
      // Already closed.
    }
    for (const conn of open) closeQuietly(conn);
  };
  options.signal.addEventListener("abort", close, { once: true });
  const host = urlHost(options.hostname);
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        if (open.size >= MAX_CONNECTIONS) {
          closeQuietly(conn);
          continue;
        }
        open.add(conn);
        serveConnection(conn, `http://${host}`, handler).finally(() => open.delete(conn));
      }
    } catch (error) {
      if (!options.signal.aborted) log.warn("Status page stopped accepting: {error}", { error });
    }
  })();
  return { addr: listener.addr as Deno.NetAddr, finished: accepting.then(close) };
}

/** One request and its answer within the deadline, then close. */
async function serveConnection(
  conn: Deno.Conn,
  origin: string,
  handler: (request: Request) => Response | Promise<Response>,
): Promise<void> {
  const timer = setTimeout(() => closeQuietly(conn), REQUEST_TIMEOUT_MS);
  try {
    const head = await readHead(conn);
    const response = head === "too-large"
      ? plain(431, "Request head too large\n")
      : head === undefined
      ? undefined
      : await answerHead(head, origin, handler);
    if (response) {
      await writeResponse(conn, response, head !== "too-large" && head?.method === "HEAD");
    }
  } catch {
    // The client went away or the deadline closed the connection: nothing to answer.
  } finally {
    clearTimeout(timer);
    closeQuietly(conn);
  }
}

interface RequestHead {
  readonly method: string;
  readonly target: string;
  readonly headers: Headers;
}

/** Reads up to the blank line ending the head; `undefined` when the client closed first. */
async function readHead(conn: Deno.Conn): Promise<RequestHead | "too-large" | undefined> {
  const buffer = new Uint8Array(MAX_HEAD_BYTES);
  let length = 0;
  for (;;) {
    const read = await conn.read(buffer.subarray(length));
    if (read === null) return undefined;
    length += read;
    const text = new TextDecoder("latin1").decode(buffer.subarray(0, length));
    const end = text.indexOf("\r\n\r\n");
    if (end >= 0) return parseHead(text.slice(0, end));
    if (length >= MAX_HEAD_BYTES) return "too-large";
  }
}

function parseHead(text: string): RequestHead {
  const [requestLine = "", ...lines] = text.split("\r\n");
  const [method = "", target = "", version = ""] = requestLine.split(" ");
  const headers = new Headers();
  if (!/^HTTP\/1\.[01]$/.test(version)) return { method: "", target, headers };
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    try {
      headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    } catch {
      // A header Fetch cannot hold: ignored.
    }
  }
  return { method, target, headers };
}

async function answerHead(
  head: RequestHead,
  origin: string,
  handler: (request: Request) => Response | Promise<Response>,
): Promise<Response> {
  if (!head.method) return plain(400, "Bad request\n");
  if (!KNOWN_METHODS.includes(head.method)) return plain(405, "Read-only: only GET and HEAD\n");
  if (!head.target.startsWith("/")) return plain(400, "Bad request target\n");
  let url: URL;
  try {
    url = new URL(head.target, origin);
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

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}

/** `hostname` as a URL writes it: an IPv6 address in brackets. */
export function urlHost(hostname: string): string {
  return hostname.includes(":") ? `[${hostname}]` : hostname;
}
