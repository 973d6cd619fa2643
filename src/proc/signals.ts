/**
 * Runs `work` with an `AbortSignal` that SIGINT/SIGTERM abort, so loops stop through their
 * signal and get to finalize instead of dying mid-write. The listeners go when `work` ends.
 */
export async function withShutdownSignals<T>(
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  const onSignal = () => controller.abort();
  for (const signal of signals) Deno.addSignalListener(signal, onSignal);
  try {
    return await work(controller.signal);
  } finally {
    for (const signal of signals) Deno.removeSignalListener(signal, onSignal);
  }
}

/**
 * Calls `reload()` on each SIGHUP (what `systemctl reload` sends through the units'
 * `ExecReload=kill -HUP $MAINPID`) until the returned handle is disposed. Without a listener a
 * SIGHUP ends the process.
 */
export function onReloadSignal(reload: () => void): Disposable {
  const listener = () => reload();
  Deno.addSignalListener("SIGHUP", listener);
  return { [Symbol.dispose]: () => Deno.removeSignalListener("SIGHUP", listener) };
}
