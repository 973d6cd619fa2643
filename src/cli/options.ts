/**
 * Parsing of option values that are not config keys (config keys go through `loadConfig`,
 * which validates them against the schema). Errors name the flag and quote the value.
 */
import { UsageError } from "../errors.ts";

/** Seconds from `--timeout`-style options: a number >= 0, `fallback` when absent. */
export function parseSeconds(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const seconds = Number(value.trim());
  if (value.trim() === "" || !Number.isFinite(seconds) || seconds < 0) {
    throw new UsageError(
      `Invalid value ${JSON.stringify(value)} for ${flag}: expected a number of seconds >= 0`,
    );
  }
  return seconds;
}

/** A slot number as shown by `status`: an integer >= 1. */
export function parseSlot(value: string): number {
  const text = value.trim();
  if (!/^\d+$/.test(text) || Number(text) < 1) {
    throw new UsageError(
      `Invalid slot ${
        JSON.stringify(value)
      }: expected a slot number such as 1 (see "twitchtool status")`,
    );
  }
  return Number(text);
}

/** A count from `--limit`-style options: an integer >= 1, `fallback` when absent. */
export function parseCount(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const text = value.trim();
  if (!/^\d+$/.test(text) || Number(text) < 1) {
    throw new UsageError(
      `Invalid value ${JSON.stringify(value)} for ${flag}: expected a whole number >= 1`,
    );
  }
  return Number(text);
}
