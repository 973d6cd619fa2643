/**
 * What an rclone failure means for the queue: transient (the network, a server restarting:
 * retry with back-off for as long as it takes) or permanent (credentials, a remote that is not
 * configured or does not exist, a full remote: retrying changes nothing until the user acts,
 * so the queue stops with one line saying why).
 */

/** One failed rclone run, as the worker acts on it. */
export interface RcloneFailure {
  readonly permanent: boolean;
  /** One line for `status`, the log and the notification. */
  readonly reason: string;
}

const PERMANENT: readonly [RegExp, string][] = [
  [
    /didn't find section in config file|couldn't find type|unknown backend/i,
    "remote not configured",
  ],
  [/NoSuchBucket|bucket does not exist/i, "remote does not exist"],
  [
    /\b(401|403)\b|unauthori[sz]ed|forbidden|access ?denied|invalid_grant|InvalidAccessKeyId|SignatureDoesNotMatch|authenticat/i,
    "credentials refused",
  ],
  [
    /\b507\b|\b413\b|insufficient storage|quota|no space left|storage (is )?full|too big for remaining disk space/i,
    "remote full",
  ],
  // A WebDAV server answers a PUT it cannot store (its disk full, a read-only share) with 405.
  [/\b405\b.*PUT|Method Not Allowed/i, "remote refused the write (full or read-only)"],
];

/**
 * Classifies a failed run from its stderr (JSON log lines or plain text) and exit code. Debug and
 * info lines are not read: a copy logs at debug level, and its lines name the files and the
 * argv, where a path with "quota" or "forbidden" in it must not read as a permanent failure.
 */
export function rcloneFailure(stderr: string, code: number): RcloneFailure {
  const reason = failureLine(stderr) ?? `rclone exited with code ${code}`;
  const said = stderr.split("\n").filter((line) => !/^\{"level":"(debug|info)"/.test(line.trim()))
    .join("\n");
  for (const [pattern, kind] of PERMANENT) {
    if (pattern.test(reason) || pattern.test(said)) {
      return { permanent: true, reason: `${capitalize(kind)}: ${reason}` };
    }
  }
  return { permanent: false, reason };
}

/**
 * The line that says why: rclone's closing `Failed to <command>: ...` when there is one, else the
 * last error message; log prefixes (date, level) are dropped.
 */
export function failureLine(stderr: string): string | undefined {
  const messages: string[] = [];
  for (const line of stderr.split("\n")) {
    const text = line.trim();
    if (!text) continue;
    if (text.startsWith("{")) {
      try {
        const entry = JSON.parse(text) as { level?: string; msg?: string };
        if ((entry.level === "error" || entry.level === "critical") && entry.msg) {
          messages.push(entry.msg.trim());
        }
      } catch {
        messages.push(text);
      }
      continue;
    }
    messages.push(text.replace(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d\s+(\w+\s*:\s*)?/, ""));
  }
  const closing = messages.findLast((message) => message.startsWith("Failed to "));
  const line = closing ?? messages.at(-1);
  return line?.replace(/\s+/g, " ").slice(0, 300);
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
