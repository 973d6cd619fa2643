/**
 * Size-based rotation of the per-channel logs (`<logs_dir>/<user>.log`), which several writers
 * share: this process appends its own lines (one open with O_APPEND per line), and each
 * streamlink appends its output through a descriptor it holds until it exits.
 *
 * Rotation renames, it never copies or truncates: `<user>.log.2` becomes `.3` (the oldest kept),
 * `.1` becomes `.2`, `<user>.log` becomes `.1`. A writer that holds the file open keeps writing
 * into the same file under its new name, so no line is lost at the switch (copy-truncate would
 * lose whatever is written between the copy and the truncate); our own lines go to a new
 * `<user>.log` from the next line on, and each new streamlink (every part boundary) opens the
 * new file. Lines a running streamlink writes after the switch therefore end up at the end of
 * `<user>.log.1`. The only lines rotation can drop are those of a writer still holding the file
 * that falls off the end (`.3` renamed over): with the default 50 MB that takes 150 MB of log
 * from one streamlink.
 *
 * Two processes may rotate the same log at once (two recorders of one channel's log cannot,
 * but the poller and a manual `record` share folders): the rotator locks the log file it found
 * too large and rotates only if the path still names that file, so a rotation is never done
 * twice in a row (which would rename `.1` over `.2` and lose it).
 */

/** When and how many old logs are kept. */
export interface LogRotation {
  /** Rotate once the log holds this many bytes; 0 never rotates. */
  readonly maxBytes: number;
  /** Old logs kept: `<user>.log.1` (newest) .. `<user>.log.<keep>`. */
  readonly keep: number;
}

/** Old logs kept beside the current one. */
export const KEPT_LOGS = 3;

/** The rotation of `[logging] max_log_mb` (MiB; 0 turns rotation off). */
export function logRotation(maxLogMb: number): LogRotation {
  return { maxBytes: Math.round(maxLogMb * 1024 * 1024), keep: KEPT_LOGS };
}

/**
 * Rotates `path` if it holds `rotation.maxBytes` or more (see the module doc); returns whether
 * it did. A missing log is not an error. Synchronous so the per-line log sink can call it.
 */
export function rotateLogIfLarge(path: string, rotation: LogRotation | undefined): boolean {
  if (!rotation || rotation.maxBytes <= 0 || rotation.keep < 1) return false;
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
  try {
    if (file.statSync().size < rotation.maxBytes) return false;
    file.lockSync(true);
    const held = file.statSync();
    const named = statSyncOrUndefined(path);
    if (!named || named.ino !== held.ino || named.dev !== held.dev) return false;
    for (let index = rotation.keep; index >= 1; index--) {
      const from = index === 1 ? path : `${path}.${index - 1}`;
      try {
        Deno.renameSync(from, `${path}.${index}`);
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
    }
    return true;
  } finally {
    file.close();
  }
}

/**
 * Appends `text` to the log at `path` (created 0600), opened for this write only so the next
 * line follows a rotation, and rotates the log once it is large.
 */
export function appendLogText(path: string, text: string, rotation?: LogRotation): void {
  let size: number;
  {
    using file = Deno.openSync(path, { append: true, create: true, mode: 0o600 });
    const bytes = new TextEncoder().encode(text);
    let written = 0;
    while (written < bytes.length) written += file.writeSync(bytes.subarray(written));
    size = file.statSync().size;
  }
  if (rotation && rotation.maxBytes > 0 && size >= rotation.maxBytes) {
    rotateLogIfLarge(path, rotation);
  }
}

function statSyncOrUndefined(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.statSync(path);
  } catch {
    return undefined;
  }
}
