/**
 * Runs `fn` over `items` with at most `limit` calls in flight (the one bound shared by
 * streamlink probes and API requests, so a long users file never starts everything at once), and
 * cuts a list into the batches of one request each.
 */

/**
 * Maps `items` through `fn`, at most `limit` at a time, in order of start; results keep the
 * items' order. Stops starting new calls once `signal` aborts (their results stay `undefined`).
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
  signal?: AbortSignal,
): Promise<(R | undefined)[]> {
  const results: (R | undefined)[] = new Array(items.length).fill(undefined);
  let next = 0;
  const worker = async () => {
    while (next < items.length && !signal?.aborted) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  const workers = Math.max(1, Math.min(limit, items.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return results;
}

/** `items` in runs of `size` (at least 1), in order: the requests of a batched API. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const step = Math.max(1, size);
  return Array.from(
    { length: Math.ceil(items.length / step) },
    (_, i) => items.slice(i * step, (i + 1) * step),
  );
}
