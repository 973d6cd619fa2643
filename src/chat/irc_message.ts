/**
 * Twitch's chat speaks IRC with IRCv3 message tags (`@badges=...;color=... :nick!user@host
 * PRIVMSG #chan :text`). This is the one parser for one such line; the rest of `src/chat/`
 * works with its result, never with raw lines.
 */

/** One parsed IRC line. */
export interface IrcMessage {
  /** IRCv3 tags, values unescaped; a tag without value is "". */
  readonly tags: Readonly<Record<string, string>>;
  /** `nick!user@host` or a server name, without the colon. */
  readonly prefix?: string;
  /** `PRIVMSG`, `PING`, `001`... in upper case. */
  readonly command: string;
  /** Middle parameters and the trailing one (last), colons removed. */
  readonly params: readonly string[];
}

const TAG_ESCAPES: Readonly<Record<string, string>> = {
  ":": ";",
  s: " ",
  "\\": "\\",
  r: "\r",
  n: "\n",
};

/** Undoes IRCv3 tag value escaping (`\s` is a space, `\:` a semicolon...). */
export function unescapeTagValue(value: string): string {
  return value.replace(/\\(.?)/g, (_, next: string) => TAG_ESCAPES[next] ?? next);
}

/**
 * Parses one IRC line (without its CRLF); `undefined` for an empty or malformed line.
 *
 * @example
 * parseIrcMessage("PING :tmi.twitch.tv") // { tags: {}, command: "PING", params: ["tmi.twitch.tv"] }
 */
export function parseIrcMessage(line: string): IrcMessage | undefined {
  let rest = line.replace(/[\r\n]+$/, "");
  const tags: Record<string, string> = {};
  if (rest.startsWith("@")) {
    const end = rest.indexOf(" ");
    if (end < 0) return undefined;
    for (const pair of rest.slice(1, end).split(";")) {
      if (!pair) continue;
      const eq = pair.indexOf("=");
      const key = eq < 0 ? pair : pair.slice(0, eq);
      tags[key] = eq < 0 ? "" : unescapeTagValue(pair.slice(eq + 1));
    }
    rest = rest.slice(end + 1).trimStart();
  }
  let prefix: string | undefined;
  if (rest.startsWith(":")) {
    const end = rest.indexOf(" ");
    if (end < 0) return undefined;
    prefix = rest.slice(1, end);
    rest = rest.slice(end + 1).trimStart();
  }
  const params: string[] = [];
  let command = "";
  while (rest.length > 0) {
    if (command && rest.startsWith(":")) {
      params.push(rest.slice(1));
      break;
    }
    const end = rest.indexOf(" ");
    const word = end < 0 ? rest : rest.slice(0, end);
    if (!command) command = word.toUpperCase();
    else params.push(word);
    rest = end < 0 ? "" : rest.slice(end + 1).trimStart();
  }
  if (!command) return undefined;
  return { tags, ...(prefix !== undefined ? { prefix } : {}), command, params };
}

/** The nick in a `nick!user@host` prefix. */
export function nickOf(prefix: string | undefined): string | undefined {
  if (!prefix) return undefined;
  const bang = prefix.indexOf("!");
  return bang < 0 ? prefix : prefix.slice(0, bang);
}
