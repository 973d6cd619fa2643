/**
 * Line numbers of sections and keys in a TOML text, so a message can point at `file:line`.
 * smol-toml returns plain values without positions; this reads the simple shapes a config file
 * uses (`[section]`, `key = value`, `section.key = value`) and is only a hint: a key it cannot
 * place has no line, and the message then names the file alone.
 */

/** `section` and `section.key` (and bare top-level `key`) to the 1-based line defining it. */
export function tomlKeyLines(text: string): Map<string, number> {
  const lines = new Map<string, number>();
  let section = "";
  text.split("\n").forEach((raw, index) => {
    const line = raw.trim();
    const header = /^\[\s*([A-Za-z0-9_.\-"' ]+?)\s*\]/.exec(line);
    if (header && !line.startsWith("[[")) {
      section = unquote(header[1]!);
      // `[channel.alice]` also places `channel`, so a misspelt parent table has a line.
      const parts = section.split(".");
      parts.forEach((_, end) => {
        const prefix = parts.slice(0, end + 1).join(".");
        if (!lines.has(prefix)) lines.set(prefix, index + 1);
      });
      return;
    }
    const key = /^([A-Za-z0-9_.\-"']+)\s*=/.exec(line);
    if (!key) return;
    const name = section ? `${section}.${unquote(key[1]!)}` : unquote(key[1]!);
    if (!lines.has(name)) lines.set(name, index + 1);
    const dot = name.indexOf(".");
    if (!section && dot > 0 && !lines.has(name.slice(0, dot))) {
      lines.set(name.slice(0, dot), index + 1);
    }
  });
  return lines;
}

function unquote(name: string): string {
  return name.split(".").map((part) => part.trim().replace(/^["']|["']$/g, "")).join(".");
}
