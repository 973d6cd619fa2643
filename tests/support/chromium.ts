/**
 * Headless Chromium (Debian's `chromium`) for end-to-end tests of the status page: the DOM
 * after the page's script ran (`--dump-dom`) and a screenshot. A fresh profile per run, no
 * network beyond the page asked for (no updates, sync, QUIC or background requests).
 */
import { join } from "node:path";

/** Where test artifacts (screenshots) go: `test-artifacts/` at the repository root. */
export const ARTIFACTS_DIR = new URL("../../test-artifacts/", import.meta.url).pathname;

/** The Chromium program, or `undefined` when it is not installed. */
export function findChromium(): string | undefined {
  for (const path of ["/usr/bin/chromium", "/usr/bin/chromium-browser"]) {
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-extensions",
  "--disable-dev-shm-usage",
  "--hide-scrollbars",
  "--window-size=1280,1100",
];

async function runChromium(args: string[]): Promise<string> {
  const program = findChromium();
  if (!program) throw new Error("chromium is not installed (apt-get install chromium)");
  const profile = await Deno.makeTempDir({ prefix: "twitchtool-chromium-" });
  try {
    const child = new Deno.Command(program, {
      args: [...FLAGS, `--user-data-dir=${profile}`, ...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
    const output = await child.output().finally(() => clearTimeout(timer));
    const stdout = new TextDecoder().decode(output.stdout);
    if (!output.success) {
      throw new Error(
        `chromium failed (${output.code}): ${new TextDecoder().decode(output.stderr)}`,
      );
    }
    return stdout;
  } finally {
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  }
}

/** The page's DOM after its scripts ran for `budgetMs` of virtual time. */
export function dumpDom(url: string, budgetMs = 2000): Promise<string> {
  return runChromium([`--virtual-time-budget=${budgetMs}`, "--dump-dom", url]);
}

/** Saves a PNG of the page as `test-artifacts/<name>`; returns its path. */
export async function screenshot(url: string, name: string): Promise<string> {
  await Deno.mkdir(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, name);
  await runChromium(["--virtual-time-budget=2000", `--screenshot=${path}`, url]);
  return path;
}
