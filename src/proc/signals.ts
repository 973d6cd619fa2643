/**
 * Turns SIGINT/SIGTERM into an abort, so loops stop through their `AbortSignal` and get to
 * finalize instead of dying mid-write. Returns a function that removes the listeners.
 */
export function abortOnShutdownSignals(controller: AbortController): () => void {
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  const onSignal = () => controller.abort();
  for (const signal of signals) Deno.addSignalListener(signal, onSignal);
  return () => {
    for (const signal of signals) Deno.removeSignalListener(signal, onSignal);
  };
}
