import { UsageError } from "../errors.ts";
import { isValidUsername } from "../util/is_valid_username.ts";

/** Returns the canonical (lower-case) name or fails with exit code 2. */
export function normalizeUsername(name: string): string {
  if (!isValidUsername(name)) {
    throw new UsageError(
      `Invalid username "${name}": expected 3-25 letters, digits or underscores`,
    );
  }
  return name.toLowerCase();
}
