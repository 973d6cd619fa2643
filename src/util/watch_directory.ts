/**
 * Folder changes as an async iterable, so a loop that sleeps between looks at a folder (the
 * encoder's jobs, the upload queue, the recorders' slot files) wakes as soon as something lands
 * there instead of at its next look.
 */

/**
 * Yields once per change in `dir` (not recursive) until `signal` aborts. Throws when `dir` does
 * not exist; callers create it first.
 *
 * Opening and closing a file is not a change: the kernel reports it (`access`), and every lock
 * probe opens a slot's lock file for writing. A watcher that re-checked the slots on those events
 * fed itself: the encoder spun a whole core on its own probes for as long as it encoded.
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
    for await (const event of watcher) {
      if (event.kind !== "access") yield;
    }
  } finally {
    signal.removeEventListener("abort", close);
    close();
  }
}
