/**
 * Notification targets written in Apprise's URL syntax, the form self-hosters already keep in
 * their notes: `ntfy://`/`ntfys://`, `discord://<id>/<token>` and `json://`/`jsons://` are
 * delivered by twitchtool itself over HTTP; any other scheme goes to the `apprise` command.
 * Every credential a URL holds (password, token, query values, header values) is listed in
 * `secrets`, and `display` is the URL with them masked: only `display` may reach a log, a
 * status file or a command's output.
 *
 * A password may hold `@` (the last `@` before the host ends it, as in WHATWG URLs); a `/`, `?`
 * or `#` in it, or a `%` that does not start a valid escape, makes the URL unusable, and the
 * error says how to escape it. Masking never relies on the URL being well formed: the password
 * is taken to run to the last `@` that is followed by a host, so a malformed URL is masked as
 * carefully as a good one.
 */
import { ConfigError } from "../errors.ts";
import { maskSecrets } from "../proc/streamlink_args.ts";

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
  const scheme = SCHEME.exec(raw.trim())?.[1]?.toLowerCase();
  if (!scheme) throw unusable(raw, "expected scheme://...");
  if (!BUILT_IN.has(scheme)) {
    const secrets = [...secretsOf(raw), ...piecesOf(raw)];
    return { kind: "apprise", url: raw.trim(), display: maskUrl(raw), secrets };
  }
  checkEscapes(raw);
  switch (scheme) {
    case "ntfy":
    case "ntfys":
      return parseNtfy(raw, scheme === "ntfys");
    case "discord":
      return parseDiscord(raw);
    default:
      return parseJson(raw, scheme === "jsons");
  }
}

/**
 * Every credential a `notify.urls` entry holds, whether or not it is usable: a URL that stops
 * start-up must still be masked in whatever is logged before.
 */
export function notifyUrlSecrets(raw: string): string[] {
  try {
    return [...parseNotifyUrl(raw).secrets];
  } catch {
    // Without a scheme nothing can be told apart; a Discord token is the URL's path.
    const text = raw.trim();
    const unknown = SCHEME.test(text) ? /^discord:\/\/[^/]*(\/.*)$/is.exec(text)?.[1] : text;
    return [...secretsOf(raw), ...piecesOf(unknown ?? "")];
  }
}

/**
 * Every piece of a URL that may be a token, for URLs whose layout is unknown: other services
 * keep tokens anywhere (tgram://<bot token>/<chat>).
 */
function piecesOf(raw: string): string[] {
  const pieces = raw.trim().replace(SCHEME, "").split(/[/@?#&=:]/);
  return pieces.filter((piece) => piece.length >= 6);
}

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;

/** The schemes twitchtool delivers itself over HTTP. */
const BUILT_IN = new Set(["ntfy", "ntfys", "discord", "json", "jsons"]);

/**
 * `scheme://user:` + password + `@host[:port]` followed by `/`, `?`, `#` or the end: the
 * password runs to the LAST `@` that a host follows, so one holding `/`, `#`, `?` or `@` is
 * found whole; it never reaches into a query (a `?` with a `=` before the next `@`), where an
 * `@` may stand in a value (`?+X-Api-Key=a@b`).
 */
const CREDENTIALS =
  /^([a-z][a-z0-9+.-]*:\/\/[^/@?#:]*):((?:(?!\?[^@]*=).)*)@((?:\[[0-9a-f:.]*\]|[\p{L}\p{N}._~%-]+)(?::\d*)?(?:[/?#]|$))/iu;

/** The error for an unusable URL: one line (quoted as JSON), the URL masked. */
function unusable(raw: string, why: string): ConfigError {
  const shown = JSON.stringify(maskUrl(raw));
  return new ConfigError(`Cannot use notification URL ${shown} in "notify.urls": ${why}`);
}

/**
 * Rejects what a URL parser would silently read another way: a `%` that starts no valid escape
 * (the password would be sent garbled), a `#` (all after it would be dropped as a fragment),
 * an `@` after the host (a `/` or `?` in the password cut it short).
 */
function checkEscapes(raw: string): void {
  try {
    decodeURIComponent(raw);
  } catch {
    throw unusable(raw, 'a "%" starts no valid escape: write a "%" in a password or token as %25');
  }
  if (raw.includes("#")) {
    throw unusable(raw, 'it holds a "#": write a "#" in a password or token as %23');
  }
  // Query values may hold an `@` (an e-mail address): they are cut off before looking.
  const rest = raw.trim().replace(SCHEME, "").replace(/=[^&]*/g, "=");
  const hostEnd = rest.search(/[/?]/);
  if (hostEnd >= 0 && rest.slice(hostEnd).includes("@")) {
    throw unusable(
      raw,
      'an "@" follows the host: write a "/" or "?" in a user name or password as %2F or %3F, an "@" in a path as %40',
    );
  }
}

/** Apprise URLs parse as URLs once their scheme is http(s); this keeps host, auth and query. */
function asHttpUrl(raw: string, secure: boolean): URL {
  const rest = raw.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, "");
  try {
    return new URL(`${secure ? "https" : "http"}://${rest}`);
  } catch {
    throw unusable(raw, "not a valid URL");
  }
}

function basicAuth(url: URL): Record<string, string> {
  if (!url.username && !url.password) return {};
  // checkEscapes() made sure every escape decodes.
  const user = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  return { Authorization: `Basic ${btoa(`${user}:${password}`)}` };
}

/**
 * The masked display and the secrets of an HTTP target: those of its URL, the credential of
 * each header it sends and `more`. The display is masked by value first, so a password is
 * hidden wherever the URL shows it, then by shape (maskUrl).
 */
function masking(
  raw: string,
  headers: Readonly<Record<string, string>>,
  more: readonly string[] = [],
): { display: string; secrets: string[] } {
  const credentials = Object.values(headers).map((value) => value.split(" ").at(-1) ?? "");
  const secrets = [...new Set([...secretsOf(raw), ...credentials, ...more])]
    .filter((secret) => secret.length >= 3);
  return { display: maskUrl(maskSecrets(raw, secrets)), secrets };
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
    ...masking(raw, headers),
  };
}

/** `discord://[botname@]<webhook id>/<webhook token>`: Discord's webhook endpoint. */
function parseDiscord(raw: string): HttpTarget {
  // Not through URL: a numeric id would be read as an IPv4 address.
  const [, id = "", token = ""] =
    /^discord:\/\/(?:[^@/]*@)?([^/?#]*)\/?([^/?#]*)/i.exec(raw.trim()) ??
      [];
  if (!id || !token) throw unusable(raw, "expected discord://<webhook id>/<webhook token>");
  return {
    kind: "discord",
    endpoint: `https://discord.com/api/webhooks/${id}/${token}`,
    headers: {},
    ...masking(raw, {}, [token, decodeURIComponent(token)]),
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
    const name = decodeURIComponent(pair.slice(0, at));
    const value = decodeURIComponent(pair.slice(at + 1));
    if (name.startsWith("+")) headers[name.slice(1)] = value;
    else if (name.startsWith("-")) query.set(name.slice(1), value);
  }
  const search = query.size > 0 ? `?${query}` : "";
  return {
    kind: "json",
    endpoint: `${url.protocol}//${url.host}${url.pathname}${search}`,
    headers,
    ...masking(raw, headers),
  };
}

/**
 * Query parameters that only style a message: their values are not masked in logs (masking
 * `high` or `warning` everywhere would garble every log line).
 */
const PLAIN_PARAMS = new Set(["priority", "tags", "format", "overflow", "mode", "method"]);

/**
 * Password, query values and fragment of a URL-like string: whatever may be a credential. Works on malformed URLs too (see {@link CREDENTIALS}).
 */
function secretsOf(raw: string): string[] {
  const text = raw.trim();
  const credentials = CREDENTIALS.exec(text);
  const secrets = credentials?.[2] ? [credentials[2]] : [];
  // What follows the `@`: the host, then path, query and fragment.
  const rest = credentials ? text.slice(credentials[1]!.length + credentials[2]!.length + 2) : text;
  const query = rest.includes("?") ? rest.slice(rest.indexOf("?") + 1) : "";
  for (const pair of query ? query.split("&") : []) {
    const name = pair.slice(0, Math.max(0, pair.indexOf("="))).toLowerCase();
    const value = pair.slice(pair.indexOf("=") + 1);
    if (PLAIN_PARAMS.has(name) || !value) continue;
    secrets.push(value, value.split("#")[0]!);
  }
  if (rest.includes("#")) secrets.push(rest.slice(rest.indexOf("#") + 1));
  // As written, decoded, and encoded the way a program echoing the URL (apprise) may print it.
  const forms = secrets.flatMap((secret) => {
    const plain = safeDecode(secret);
    return [secret, plain, encodeURIComponent(plain)];
  });
  return [...new Set(forms)].filter((secret) => secret.length >= 3);
}

/**
 * The URL with its password, every query value (and bare query word) and its fragment replaced
 * by `***`; a Discord URL keeps its webhook id only, a URL for `apprise` its scheme only, a
 * text without `scheme://` nothing. Safe to log, whatever the URL holds.
 */
export function maskUrl(raw: string): string {
  const text = raw.trim();
  const scheme = SCHEME.exec(text)?.[1]?.toLowerCase();
  if (!scheme) return `${/^[a-z][a-z0-9+.-]*:/i.exec(text)?.[0] ?? ""}***`;
  // Other services keep tokens anywhere (tgram://<bot token>/<chat>): show the scheme only.
  if (!BUILT_IN.has(scheme)) return `${scheme}://***`;
  const masked = text.replace(CREDENTIALS, "$1:***@$3");
  if (scheme === "discord") return masked.replace(/^(discord:\/\/[^/?#]*)[/?#].*$/is, "$1/***");
  return masked
    .replace(/#.*$/s, "#***")
    .replace(/([?&][^=&#]+)=[^&#]*/g, "$1=***")
    .replace(/([?&])[^=&#]+(?=[&#]|$)/g, "$1***");
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
