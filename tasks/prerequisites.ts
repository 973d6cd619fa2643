/**
 * What `deno task demo` and `deno task test` need from the machine, declared once, and the set-up
 * both run first. The README's front door is two commands on a fresh Debian or Ubuntu machine
 * that has Deno: run as root, the missing programs are installed with `apt-get`; run as anyone
 * else, the one `sudo apt-get install -y ...` command that installs them is printed. `.ci/run`
 * relies on this instead of keeping a list of its own.
 *
 * Run alone, `deno run -A tasks/prerequisites.ts [demo|test]` checks (and as root installs) and
 * exits 1 while something the task cannot do without is missing.
 *
 * @example
 * ```ts
 * if (!(await ensurePrerequisites("test"))) Deno.exit(1);
 * ```
 */
import { findExecutable } from "../src/proc/which.ts";

/** The task a program is needed for. */
export type Purpose = "demo" | "test";

/** A program looked up on PATH and the Debian package that brings it. */
export interface Prerequisite {
  readonly program: string;
  readonly aptPackage: string;
  /** What uses it, for the message when it is missing. */
  readonly why: string;
  readonly neededBy: readonly Purpose[];
  /** Without it the tests that use it are skipped, not failed: the task goes on. */
  readonly optional?: boolean;
}

const BOTH: readonly Purpose[] = ["demo", "test"];
const TEST: readonly Purpose[] = ["test"];

/** Every program the demo and the tests start, in install order. */
export const PREREQUISITES: readonly Prerequisite[] = [
  { program: "streamlink", aptPackage: "streamlink", why: "records the stream", neededBy: BOTH },
  { program: "ffmpeg", aptPackage: "ffmpeg", why: "joins and encodes", neededBy: BOTH },
  { program: "ffprobe", aptPackage: "ffmpeg", why: "reads media durations", neededBy: BOTH },
  {
    program: "flock",
    aptPackage: "util-linux",
    why: "streamlink runs holding its capture lock",
    neededBy: BOTH,
  },
  {
    program: "script",
    aptPackage: "bsdutils",
    why: "the terminal tests run the CLI on a pseudo-terminal",
    neededBy: TEST,
  },
  {
    program: "zsh",
    aptPackage: "zsh",
    why: "the completion test loads the script it prints",
    neededBy: TEST,
    optional: true,
  },
  {
    program: "fish",
    aptPackage: "fish",
    why: "the completion test loads the script it prints",
    neededBy: TEST,
    optional: true,
  },
  {
    program: "chromium",
    aptPackage: "chromium",
    why: "renders the status page in tests/web_test.ts",
    neededBy: TEST,
    optional: true,
  },
  {
    program: "apprise",
    aptPackage: "apprise",
    why: "delivers notifications to services without a built-in sender",
    neededBy: TEST,
    optional: true,
  },
  {
    program: "rclone",
    aptPackage: "rclone",
    why: "copies recordings to remote storage",
    neededBy: TEST,
    optional: true,
  },
];

/** The prerequisites of `purpose` that are not on `path`. */
export async function missingFor(
  purpose: Purpose,
  path = Deno.env.get("PATH") ?? "",
): Promise<Prerequisite[]> {
  const missing: Prerequisite[] = [];
  for (const item of PREREQUISITES) {
    if (item.neededBy.includes(purpose) && !(await findExecutable(item.program, path))) {
      missing.push(item);
    }
  }
  return missing;
}

/** The Debian packages that bring `missing`, each once, in list order. */
export function aptPackages(missing: readonly Prerequisite[]): string[] {
  return [...new Set(missing.map((item) => item.aptPackage))];
}

/** What the set-up does about `missing`: nothing, install with apt-get, or tell the user how. */
export type SetupPlan =
  | { readonly kind: "ready" }
  | { readonly kind: "install"; readonly packages: readonly string[] }
  | { readonly kind: "advise"; readonly lines: readonly string[]; readonly blocking: boolean };

/**
 * Decides from what is missing and who runs it: root with `apt-get` installs, anyone else gets
 * the one command to run. Pure, so a test can check every case without a package manager.
 */
export function setupPlan(
  purpose: Purpose,
  missing: readonly Prerequisite[],
  host: { readonly root: boolean; readonly aptGet: boolean },
): SetupPlan {
  if (missing.length === 0) return { kind: "ready" };
  const packages = aptPackages(missing);
  if (host.root && host.aptGet) return { kind: "install", packages };
  const blocking = missing.filter((item) => !item.optional);
  const lines = [
    `deno task ${purpose} is missing ${missing.map(describe).join(", ")}`,
    `install ${packages.length === 1 ? "it" : "them"} with: ${
      host.root ? "" : "sudo "
    }apt-get install -y ${packages.join(" ")}`,
  ];
  if (blocking.length === 0) {
    lines.push(`going on: the tests that need ${programs(missing)} are skipped`);
  }
  return { kind: "advise", lines, blocking: blocking.length > 0 };
}

function describe(item: Prerequisite): string {
  const from = item.aptPackage === item.program ? "" : `, from ${item.aptPackage}`;
  return `"${item.program}" (${item.why}${from})`;
}

function programs(items: readonly Prerequisite[]): string {
  return items.map((item) => `"${item.program}"`).join(", ");
}

/**
 * Checks the prerequisites of `purpose` and, as root on Debian/Ubuntu, installs what is missing;
 * otherwise prints the command that does. False while something the task cannot do without is
 * still missing.
 */
export async function ensurePrerequisites(purpose: Purpose): Promise<boolean> {
  const missing = await missingFor(purpose);
  const plan = setupPlan(purpose, missing, {
    root: Deno.uid() === 0,
    aptGet: (await findExecutable("apt-get")) !== undefined,
  });
  if (plan.kind === "ready") return true;
  if (plan.kind === "advise") {
    for (const line of plan.lines) console.error(`setup: ${line}`);
    return !plan.blocking;
  }
  console.error(`setup: installing ${plan.packages.join(" ")} with apt-get`);
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  await aptGet(["update", "-qq"], env);
  await aptGet(["install", "-y", "-qq", ...plan.packages], env);
  const still = (await missingFor(purpose)).filter((item) => !item.optional);
  if (still.length > 0) console.error(`setup: still missing ${programs(still)}`);
  return still.length === 0;
}

async function aptGet(args: string[], env: Record<string, string>): Promise<void> {
  const child = new Deno.Command("apt-get", { args, env, stdout: "null", stderr: "inherit" });
  const { code } = await child.spawn().status;
  if (code !== 0) console.error(`setup: apt-get ${args[0]} exited with ${code}`);
}

function isPurpose(value: string | undefined): value is Purpose {
  return value === "demo" || value === "test";
}

if (import.meta.main) {
  const purpose = Deno.args[0] ?? "test";
  if (!isPurpose(purpose)) {
    console.error(`setup: unknown task "${purpose}": expected "demo" or "test"`);
    Deno.exit(2);
  }
  Deno.exit((await ensurePrerequisites(purpose)) ? 0 : 1);
}
