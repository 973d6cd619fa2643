/**
 * Whether a session's streamlink still runs, from kernel facts only. A pid alone proves
 * nothing (it is reused after the process ends) and a part's size proves nothing (a stalled
 * streamlink writes nothing for seconds): the process must exist and be *that* capture, i.e.
 * hold the part file open (`/proc/<pid>/fd`) or carry the part's path in its argv
 * (`/proc/<pid>/cmdline`: streamlink opens the file only once data flows).
 */
import { resolve } from "node:path";

/** The streamlink writing a session's newest part, as journaled in its manifest. */
export interface CaptureProcess {
  readonly pid: number;
  /** Absolute path of the part it writes. */
  readonly part: string;
}

/** Whether `capture.pid` is alive and is the process writing `capture.part`. */
export async function isCaptureAlive(
  capture: CaptureProcess,
  procRoot = "/proc",
): Promise<boolean> {
  if (!Number.isInteger(capture.pid) || capture.pid <= 0) return false;
  const part = resolve(capture.part);
  const dir = `${procRoot}/${capture.pid}`;
  try {
    const argv = (await Deno.readTextFile(`${dir}/cmdline`)).split("\0");
    if (argv.includes(part) || argv.includes(capture.part)) return true;
  } catch {
    return false;
  }
  try {
    for await (const entry of Deno.readDir(`${dir}/fd`)) {
      const target = await Deno.readLink(`${dir}/fd/${entry.name}`).catch(() => "");
      if (target === part) return true;
    }
  } catch {
    // Gone meanwhile, or not ours to inspect.
  }
  return false;
}
