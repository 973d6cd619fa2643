/**
 * The known name closest to a typo, for "did you mean" hints on unknown config keys: a
 * misspelt key is an error rather than a silently ignored setting, and the hint makes the fix
 * one edit. Returns undefined when nothing is close enough to be a likely intent.
 */
export function closestName(
  typo: string,
  candidates: readonly { readonly match: string; readonly name: string }[],
): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const { match, name } of candidates) {
    const distance = editDistance(typo.toLowerCase(), match.toLowerCase());
    if (!best || distance < best.distance) best = { name, distance };
  }
  if (!best) return undefined;
  const allowed = Math.max(2, Math.floor(typo.length / 3));
  return best.distance <= allowed ? best.name : undefined;
}

/** Levenshtein distance (insert, delete, substitute), one row at a time. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min(row[j - 1]! + 1, previous[j]! + 1, previous[j - 1]! + cost));
    }
    previous = row;
  }
  return previous[b.length]!;
}
