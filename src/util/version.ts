/**
 * Version lines of the tools we run (`streamlink 5.2.1`, `ffmpeg version 5.1.9-...`): `doctor`
 * warns about old ones and the capture picks options the installed streamlink knows.
 */

/** `[major, minor, patch]` from a `--version`/`-version` first line, e.g. "streamlink 5.2.1". */
export function parseVersion(text: string): number[] | undefined {
  const match = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  if (!match) return undefined;
  return [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
}

/** Whether `version` is older than `minimum` (compared component by component). */
export function isOlder(version: readonly number[], minimum: readonly number[]): boolean {
  for (let i = 0; i < minimum.length; i++) {
    const have = version[i] ?? 0;
    const want = minimum[i] ?? 0;
    if (have !== want) return have < want;
  }
  return false;
}
