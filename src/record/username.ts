import { UsageError } from "../errors.ts";

/** Twitch login names: 3-25 letters, digits or underscores. */
export const USERNAME_PATTERN = /^[A-Za-z0-9_]{3,25}$/;

/** Whether `name` can be a Twitch channel. */
export function isValidUsername(name: string): boolean {
  return USERNAME_PATTERN.test(name);
}

/** Returns the canonical (lower-case) name or fails with exit code 2. */
export function normalizeUsername(name: string): string {
  if (!isValidUsername(name)) {
    throw new UsageError(
      `Invalid username "${name}": expected 3-25 letters, digits or underscores`,
    );
  }
  return name.toLowerCase();
}
