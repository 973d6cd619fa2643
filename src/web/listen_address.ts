/**
 * Where the status page listens, and the one safety rule about it: a loopback address is
 * reachable only from this machine (or through an SSH tunnel), anything else needs a token.
 * Checked at start-up, before the poller takes its lock, so a bad `[web]` section is an
 * exit-2 configuration error, never a page open to the network.
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
