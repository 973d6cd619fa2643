/**
 * Whether a parsed JSON value is an object (not null, not an array): the first check of every
 * reader of a JSON document it did not write itself.
 */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
