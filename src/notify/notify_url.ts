/**
 * Notification targets written in Apprise's URL syntax, the form self-hosters already keep in
 * their notes: `ntfy://`/`ntfys://`, `discord://<id>/<token>` and `json://`/`jsons://` are
 * delivered by twitchtool itself over HTTP; any other scheme goes to the `apprise` command.
 * Every credential a URL holds (password, token, query values, header values) is listed in
 * `secrets`, and `display` is the URL with them masked: only `display` may reach a log, a
 * status file or a command's output.
 */
import { ConfigError } from "../errors.ts";

/** An HTTP request twitchtool sends itself. */
export interface HttpTarget {
  readonly kind: "ntfy" | "discord" | "json";
  /** The endpoint, without credentials. */
  readonly endpoint: string;
  /** Extra request headers (Authorization and `+Header=value` ones); values are secrets. */
  readonly headers: Readonly<Record<string, string>>;
  /** ntfy: `?priority=` and `?tags=` given in the URL override the event's own. */
  readonly priority?: string;
  readonly tags?: string;
  readonly display: string;
  readonly secrets: readonly string[];
}

/** A URL handed to the `apprise` command as it is. */
export interface AppriseTarget {
  readonly kind: "apprise";
  readonly url: string;
  readonly display: string;
  readonly secrets: readonly string[];
}

/** One parsed `notify.urls` entry. */
export type NotifyTarget = HttpTarget | AppriseTarget;

/** Parses one Apprise URL; throws a ConfigError naming the masked URL when it is unusable. */
export function parseNotifyUrl(raw: string): NotifyTarget {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(raw.trim())?.[1]?.toLowerCase();
  if (!scheme) {
    throw new ConfigError(
      `Cannot use notification URL "${maskUrl(raw)}" in "notify.urls": expected scheme://...`,
    );
  }
  switch (scheme) {
    case "ntfy":
    case "ntfys":
      return parseNtfy(raw, scheme === "ntfys");
    case "discord":
      return parseDiscord(raw);
    case "json":
    case "jsons":
      return parseJson(raw, scheme === "jsons");
    default: {
      // Other services keep tokens anywhere (tgram://<bot token>/<chat>): every piece counts.
      const pieces = raw.trim().slice(scheme.length + 3).split(/[/@?#&=:]/);
      const secrets = [...secretsOf(raw), ...pieces.filter((piece) => piece.length >= 6)];
      return { kind: "apprise", url: raw.trim(), display: maskUrl(raw), secrets };
    }
  }
}

/** Apprise URLs parse as URLs once their scheme is http(s); this keeps host, auth and query. */
function asHttpUrl(raw: string, secure: boolean): URL {
  const rest = raw.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, "");
  try {
    return new URL(`${secure ? "https" : "http"}://${rest}`);
  } catch {
    throw new ConfigError(
      `Cannot use notification URL "${maskUrl(raw)}" in "notify.urls": not a valid URL`,
    );
  }
}

function basicAuth(url: URL): Record<string, string> {
  if (!url.username && !url.password) return {};
  const user = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  return { Authorization: `Basic ${btoa(`${user}:${password}`)}` };
}

/**
 * `ntfy://topic` (ntfy.sh), `ntfy://[user:pass@]host[:port]/topic`, `?token=tk_...` (an access
 * token, sent as a Bearer header), `?priority=`, `?tags=`; `ntfys` uses https.
 */
function parseNtfy(raw: string, secure: boolean): HttpTarget {
  const url = asHttpUrl(raw, secure);
  const path = url.pathname.replace(/^\/+|\/+$/g, "");
  const cloud = path === "";
  const topic = cloud ? url.hostname : path;
  const endpoint = cloud ? `https://ntfy.sh/${topic}` : `${url.protocol}//${url.host}/${topic}`;
  const token = url.searchParams.get("token") ?? url.searchParams.get("auth");
  const headers = token ? { Authorization: `Bearer ${token}` } : basicAuth(url);
  const priority = url.searchParams.get("priority") ?? undefined;
  const tags = url.searchParams.get("tags") ?? undefined;
  return {
    kind: "ntfy",
    endpoint,
    headers,
    ...(priority ? { priority } : {}),
    ...(tags ? { tags } : {}),
    display: maskUrl(raw),
    secrets: secretsOf(raw),
  };
}

/** `discord://[botname@]<webhook id>/<webhook token>`: Discord's webhook endpoint. */
function parseDiscord(raw: string): HttpTarget {
  // Not through URL: a numeric id would be read as an IPv4 address.
  const [, id = "", token = ""] =
    /^discord:\/\/(?:[^@/]*@)?([^/?#]*)\/?([^/?#]*)/i.exec(raw.trim()) ??
      [];
  if (!id || !token) {
    throw new ConfigError(
      `Cannot use notification URL "${
        maskUrl(raw)
      }" in "notify.urls": expected discord://<webhook id>/<webhook token>`,
    );
  }
  return {
    kind: "discord",
    endpoint: `https://discord.com/api/webhooks/${id}/${token}`,
    headers: {},
    display: `discord://${id}/***`,
    secrets: [...secretsOf(raw), token],
  };
}

/**
 * `json://[user:pass@]host[:port]/path`: a JSON POST. As in Apprise, `+Name=value` query
 * entries become request headers and `-name=value` ones query parameters of the request.
 */
function parseJson(raw: string, secure: boolean): HttpTarget {
  const url = asHttpUrl(raw, secure);
  const headers: Record<string, string> = { ...basicAuth(url) };
  const query = new URLSearchParams();
  // Read by hand: URLSearchParams turns the `+` of `+Header` into a space.
  for (const pair of url.search.slice(1).split("&")) {
    const at = pair.indexOf("=");
    if (at < 1) continue;
    const name = safeDecode(pair.slice(0, at));
    const value = safeDecode(pair.slice(at + 1));
    if (name.startsWith("+")) headers[name.slice(1)] = value;
    else if (name.startsWith("-")) query.set(name.slice(1), value);
  }
  const search = query.size > 0 ? `?${query}` : "";
  return {
    kind: "json",
    endpoint: `${url.protocol}//${url.host}${url.pathname}${search}`,
    headers,
    display: maskUrl(raw),
    secrets: secretsOf(raw),
  };
}

/**
 * Query parameters that only style a message: their values are not masked in logs (masking
 * `high` or `warning` everywhere would garble every log line).
 */
const PLAIN_PARAMS = new Set(["priority", "tags", "format", "overflow", "mode", "method"]);

/** Password and query values of a URL-like string: whatever may be a credential. */
function secretsOf(raw: string): string[] {
  const secrets: string[] = [];
  const auth = /^[a-z][a-z0-9+.-]*:\/\/([^/@?#]*)@/i.exec(raw)?.[1];
  if (auth?.includes(":")) secrets.push(auth.slice(auth.indexOf(":") + 1));
  const query = raw.split("?")[1]?.split("#")[0];
  for (const pair of query?.split("&") ?? []) {
    const name = pair.slice(0, Math.max(0, pair.indexOf("="))).toLowerCase();
    const value = pair.slice(pair.indexOf("=") + 1);
    if (pair.includes("=") && value && !PLAIN_PARAMS.has(name)) secrets.push(value);
  }
  const decoded = secrets.flatMap((s) => {
    try {
      const plain = decodeURIComponent(s);
      return plain === s ? [s] : [s, plain];
    } catch {
      return [s];
    }
  });
  return decoded.filter((s) => s.length >= 3);
}

/**
 * The URL with its password and every query value replaced by `***`; a Discord URL keeps its
 * webhook id only, a URL for `apprise` its scheme only. Safe to log.
 */
export function maskUrl(raw: string): string {
  const masked = raw.trim()
    .replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@?#:]*):[^/@?#]*@/i, "$1:***@")
    .replace(/([?&][^=&#]+)=[^&#]*/g, "$1=***");
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(masked)?.[1]?.toLowerCase();
  if (scheme === "discord") return masked.replace(/^(discord:\/\/[^/?#]*)[/?#].*$/i, "$1/***");
  // Other services keep tokens anywhere (tgram://<bot token>/<chat>): show the scheme only.
  if (scheme && !["ntfy", "ntfys", "json", "jsons"].includes(scheme)) return `${scheme}://***`;
  return masked;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
