/**
 * `deno task test`: sets up what the tests need (`tasks/prerequisites.ts`), then runs every test
 * file in parallel. Arguments go on to `deno test`; when one names an existing file or folder, only
 * those run (`deno task test tests/readme_test.ts`), else all of src/, tests/ and testing/
 * (`deno task test --filter README`). Deno's own summary line stays the last line of the output.
 */
import { ensurePrerequisites } from "./prerequisites.ts";

/**
 * Test files run at once unless `DENO_JOBS` says otherwise: two per core. Most end-to-end tests
 * spend their time waiting on broadcasts the HLS server plays in real time, so one per core left
 * the cores idle for most of the run.
 */
export function testJobs(cores: number): string {
  return String(Math.max(2, cores * 2));
}

/** The folders the whole suite lives in. */
export const TEST_ROOTS = ["src/", "tests/", "testing/"] as const;

/** `deno test`'s arguments for the task's `args`: the suite's roots unless `args` names a path. */
export async function testArgs(args: readonly string[], root: URL): Promise<string[]> {
  let namesPath = false;
  for (const arg of args) {
    if (!arg.startsWith("-") && (await exists(new URL(arg, root)))) namesPath = true;
  }
  return [
    "test",
    "--allow-all",
    "--quiet",
    "--parallel",
    ...args,
    ...(namesPath ? [] : TEST_ROOTS),
  ];
}

async function exists(url: URL): Promise<boolean> {
  try {
    await Deno.stat(url);
    return true;
  } catch {
    return false;
  }
}

if (import.meta.main) {
  if (!(await ensurePrerequisites("test"))) Deno.exit(1);
  const root = new URL("../", import.meta.url);
  const command = new Deno.Command(Deno.execPath(), {
    args: await testArgs(Deno.args, root),
    cwd: root,
    env: { DENO_JOBS: Deno.env.get("DENO_JOBS") ?? testJobs(navigator.hardwareConcurrency) },
  });
  Deno.exit((await command.spawn().status).code);
}
