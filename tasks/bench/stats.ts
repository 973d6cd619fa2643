/** Small statistics for repeated measurements. */

/** Median of `values` (mean of the middle two for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Largest of `values`; NaN when empty. */
export function max(values: readonly number[]): number {
  return values.length === 0 ? NaN : Math.max(...values);
}

/** `value` rounded to `digits` decimals, so the JSON does not carry float noise. */
export function round(value: number, digits = 3): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** `numerator / denominator`, or NaN when the denominator is 0 (a ratio that means nothing). */
export function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? NaN : numerator / denominator;
}

/** Bytes in (decimal) megabytes, the unit disk throughput is usually quoted in. */
export function megabytes(bytes: number): number {
  return bytes / 1e6;
}
