/**
 * Reading and parsing a request head for `http_listener.ts`: the request line and headers up
 * to the first empty line, within {@link MAX_HEAD_BYTES}. Lenient where HTTP/1.1 lets a server
 * be (RFC 9112): lines may end in a bare LF, empty lines before the request line are skipped,
 * and an absolute-form target (`GET http://127.0.0.1:8686/api/status HTTP/1.1`, what a proxy
 * or a careful client sends) is answered like its path, its authority standing in for `Host`.
 */

/** Largest request line plus headers. */
export const MAX_HEAD_BYTES = 8192;

/** A request line and its headers; `target` in origin form (`/path?query`). */
export interface RequestHead {
  readonly method: string;
  readonly target: string;
  readonly headers: Headers;
}

/** A head answered with an error instead of being handed on. */
export interface RefusedHead {
  readonly status: 400 | 431;
  readonly message: string;
}

/**
 * Reads up to the empty line ending the head; `undefined` when the client closed first. Never
 * reads past {@link MAX_HEAD_BYTES}, and never a body.
 */
export async function readHead(conn: Deno.Conn): Promise<RequestHead | RefusedHead | undefined> {
  const buffer = new Uint8Array(MAX_HEAD_BYTES);
  let length = 0;
  for (;;) {
    const read = await conn.read(buffer.subarray(length));
    if (read === null) return undefined;
    length += read;
    const text = new TextDecoder("latin1").decode(buffer.subarray(0, length));
    const head = completeHead(text);
    if (head !== undefined) return parseHead(head);
    if (length >= MAX_HEAD_BYTES) return { status: 431, message: "Request head too large\n" };
  }
}

/** The head without its ending empty line, once it arrived whole (CRLF or bare LF lines). */
export function completeHead(text: string): string | undefined {
  const start = /^(?:\r?\n)*/.exec(text)![0].length;
  const end = /\r?\n\r?\n/.exec(text.slice(start));
  return end ? text.slice(start, start + end.index) : undefined;
}

/** Parses a complete head (as {@link completeHead} cut it). */
export function parseHead(text: string): RequestHead | RefusedHead {
  const [requestLine = "", ...lines] = text.split(/\r?\n/);
  const [method = "", target = "", version = "", ...rest] = requestLine.split(" ");
  if (
    !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(method) || rest.length > 0 ||
    !/^HTTP\/1\.[01]$/.test(version)
  ) {
    return { status: 400, message: "Bad request\n" };
  }
  const headers = new Headers();
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    try {
      headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    } catch {
      // A header Fetch cannot hold: ignored.
    }
  }
  const path = originForm(target, headers);
  if (path === undefined) return { status: 400, message: "Bad request target\n" };
  return { method, target: path, headers };
}

/**
 * `target` as a path: as it is when it starts with `/`, the path and query of an absolute
 * `http://` URL (whose authority then replaces `Host`, RFC 9112 section 3.2.2), else
 * `undefined`.
 */
function originForm(target: string, headers: Headers): string | undefined {
  if (target.startsWith("/")) return target;
  if (!/^http:\/\//i.test(target)) return undefined;
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return undefined;
  }
  headers.set("host", url.host);
  return url.pathname + url.search;
}
