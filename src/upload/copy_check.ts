/**
 * rclone's own check of a copy, read from its log. After a transfer, `rclone copyto` compares the
 * hash of the bytes it read from the local file with the hash the remote gives for its copy (a
 * stored hash on S3, B2 or Drive, `md5sum` run by an SFTP server, the hash of the bytes written for
 * a `local` remote), in the first type both support (md5 before sha1). At debug level
 * (`-vv`) it logs `md5 = <hash> OK` when they match; when either side has none (plain WebDAV) it
 * logs no such line. Taking that line saves reading the remote copy a second time for our check.
 */

/**
 * The hash rclone compared, both sides equal: its type (`md5`, `sha1`, ...), hex value, and the
 * file it names (for copyto, the source's base name).
 */
export interface CopyCheck {
  readonly type: string;
  readonly hash: string;
  readonly object: string;
}

const OK_LINE = /^([a-z0-9]+) = ([0-9a-f]+) OK$/;

/**
 * The check in one `--use-json-log` stderr line of `rclone copyto -vv`, if the line is one:
 *
 * @example
 * ```ts
 * copyCheckOf('{"level":"debug","msg":"md5 = c55…06 OK","object":"a.mp4",…}');
 * // { type: "md5", hash: "c55…06", object: "a.mp4" }
 * ```
 */
export function copyCheckOf(line: string): CopyCheck | undefined {
  if (!line.startsWith("{") || !line.includes(" OK")) return undefined;
  try {
    const entry = JSON.parse(line) as { level?: unknown; msg?: unknown; object?: unknown };
    if (entry.level !== "debug" || typeof entry.msg !== "string") return undefined;
    if (typeof entry.object !== "string") return undefined;
    const match = OK_LINE.exec(entry.msg.trim());
    return match ? { type: match[1]!, hash: match[2]!, object: entry.object } : undefined;
  } catch {
    return undefined;
  }
}
