/**
 * Where the status page listens, and the two safety rules about it. A loopback address is
 * reachable only from this machine (or through an SSH tunnel), anything else needs a token:
 * checked at start-up, before the poller takes its lock, so a bad `[web]` section is an exit-2
 * configuration error, never a page open to the network. And a page without a token answers
 * only requests that name this machine in `Host` ({@link namesThisServer}): a web page
 * elsewhere cannot read it through a DNS name of its own that resolves to 127.0.0.1 (DNS
 * rebinding).
 */
import { ConfigError } from "../errors.ts";

/** A parsed `host:port`. */
export interface ListenAddress {
  readonly hostname: string;
  readonly port: number;
  /** Only this machine can connect. */
  readonly loopback: boolean;
}

/**
 * Parses `127.0.0.1:8686`, `localhost:8686`, `[::1]:8686` or `0.0.0.0:8686` (port 0 picks a
 * free port). `what` names the setting in the message (`"web.listen"`, `--serve`).
 */
export function parseListenAddress(text: string, what: string): ListenAddress {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(text.trim());
  const port = Number(match?.[3]);
  if (!match || port > 65535) {
    throw new ConfigError(
      `Cannot use ${what} ${JSON.stringify(text)}: expected host:port, e.g. "127.0.0.1:8686"`,
    );
  }
  const hostname = (match[1] ?? match[2])!;
  return { hostname, port, loopback: isLoopback(hostname) };
}

/** `localhost`, `127.x.x.x` and `::1`. */
export function isLoopback(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === "localhost" || host === "::1" || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * The address to serve on, refusing a non-loopback one without a token (or with a token too
 * short to resist guessing).
 */
export function checkedListenAddress(
  text: string,
  token: string | undefined,
  what: string,
): ListenAddress {
  const address = parseListenAddress(text, what);
  if (address.loopback) return address;
  if (token === undefined || token.length === 0) {
    throw new ConfigError(
      `Refusing to serve the status page on ${JSON.stringify(text)}: a non-loopback address ` +
        `needs "web.token" set (the page would be open to the network)`,
    );
  }
  if (token.length < 16) {
    throw new ConfigError(
      `Refusing to serve the status page on ${JSON.stringify(text)}: "web.token" is shorter ` +
        `than 16 characters`,
    );
  }
  return address;
}

/**
 * Whether a `Host` header (`localhost:8686`, `127.0.0.1`, `[::1]:8686`) names a loopback
 * address or the address the page listens on. Anything else, or no `Host` at all, is a name
 * this server does not answer to without a token: a browser sends the name of the page that
 * made the request, and a rebinding page's name is its own.
 */
export function namesThisServer(host: string | null, address: ListenAddress): boolean {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+))(?::\d{0,5})?$/.exec(host?.trim() ?? "");
  const hostname = (match?.[1] ?? match?.[2])?.toLowerCase();
  if (hostname === undefined) return false;
  return isLoopback(hostname) || hostname === address.hostname.toLowerCase();
}
