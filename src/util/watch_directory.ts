/**
 * Folder changes as an async iterable, so a loop that sleeps between looks at a folder (the
 * encoder's jobs, the upload queue) wakes as soon as something lands there instead of at its
 * next look.
 */

/**
 * Yields once per filesystem event in `dir` (not recursive) until `signal` aborts. Throws when
 * `dir` does not exist; callers create it first.
 */
export async function* watchDirectory(dir: string, signal: AbortSignal): AsyncIterable<void> {
  if (signal.aborted) return;
  const watcher = Deno.watchFs(dir, { recursive: false });
  const close = () => {
    try {
      watcher.close();
    } catch {
      // Already closed.
    }
  };
  signal.addEventListener("abort", close, { once: true });
  try {
    for await (const _event of watcher) yield;
  } finally {
    signal.removeEventListener("abort", close);
    close();
  }
}
