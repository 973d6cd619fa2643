/**
 * Seconds rounded to the millisecond, as every duration and offset in twitchtool's JSON files
 * is stored: finer digits are noise from float arithmetic and only make the files harder to read.
 */
export function roundMillis(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
