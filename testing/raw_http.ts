/**
 * HTTP over a bare TCP socket, for tests of the status page's listener: `fetch` always sends
 * CRLF, an origin-form target and its own `Host`, and gives up on a server that closes without
 * answering, which are exactly the cases those tests look at.
 */

/** A port nobody listens on right now. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Reads a connection to its end (the server closing it); returns what it said. */
export async function readUntilClosed(conn: Deno.Conn): Promise<string> {
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(65536);
  for (;;) {
    const read = await conn.read(buffer).catch(() => null);
    if (read === null) break;
    chunks.push(buffer.slice(0, read));
  }
  return new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
}

/**
 * Sends `raw` as it is to `127.0.0.1:port` and returns everything the server said before it
 * closed the connection (`""`: closed unanswered).
 */
export async function rawExchange(port: number, raw: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(raw));
    return await readUntilClosed(conn);
  } finally {
    try {
      conn.close();
    } catch {
      // Closed already.
    }
  }
}

/** A raw answer split into its status code, headers (lower-case names) and body. */
export interface RawAnswer {
  readonly status: number | undefined;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Splits what {@link rawExchange} returned. */
export function parseRawAnswer(text: string): RawAnswer {
  const end = text.indexOf("\r\n\r\n");
  const head = end < 0 ? text : text.slice(0, end);
  const [statusLine = "", ...lines] = head.split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  const status = /^HTTP\/1\.[01] (\d{3}) /.exec(statusLine)?.[1];
  return {
    status: status === undefined ? undefined : Number(status),
    headers,
    body: end < 0 ? "" : text.slice(end + 4),
  };
}
