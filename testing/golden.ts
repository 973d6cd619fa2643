/**
 * Golden-output checks: a command's output is compared with the text saved under
 * `tests/golden/<name>.txt`, after the values that change from run to run (the sandbox's HOME,
 * pids, times) are replaced by placeholders. `UPDATE_GOLDEN=1 deno test ...` rewrites the saved
 * files instead; review the diff before committing them.
 */
import assert from "node:assert/strict";

const GOLDEN_DIR = new URL("../tests/golden/", import.meta.url);

/** Whether this run writes the golden files instead of checking them. */
export const UPDATE_GOLDEN = Deno.env.get("UPDATE_GOLDEN") === "1";

/** `text` with run-specific values replaced: `home` by `<HOME>`, pids, ISO and local times. */
export function stripChanging(text: string, home: string): string {
  return text
    .replaceAll(home, "<HOME>")
    .replace(/\bpid \d+/g, "pid <PID>")
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?/g, "<TIME>")
    .replace(/\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)?/g, "<TIME>");
}

/** Asserts that `actual` equals `tests/golden/<name>.txt` (or writes it with UPDATE_GOLDEN=1). */
export async function assertGolden(name: string, actual: string): Promise<void> {
  const file = new URL(`${name}.txt`, GOLDEN_DIR);
  if (UPDATE_GOLDEN) {
    await Deno.mkdir(GOLDEN_DIR, { recursive: true });
    await Deno.writeTextFile(file, actual);
    return;
  }
  let expected: string;
  try {
    expected = await Deno.readTextFile(file);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    throw new Error(
      `No golden file tests/golden/${name}.txt: run with UPDATE_GOLDEN=1 to create it`,
    );
  }
  assert.equal(
    actual,
    expected,
    `Output differs from tests/golden/${name}.txt (UPDATE_GOLDEN=1 rewrites it)`,
  );
}
