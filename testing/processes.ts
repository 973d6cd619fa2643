/**
 * The machine's live processes as tests see them: end-to-end tests find the streamlinks and
 * twitchtool processes of their own sandbox by a path in the command line (a temp dir, a
 * config file), never by name alone, so parallel tests do not see each other's.
 */
import { readProcStat } from "./proc_stat.ts";

/** The process state letter from `/proc/<pid>/stat` (`T` stopped), or undefined when gone. */
export async function procState(pid: number): Promise<string | undefined> {
  return (await readProcStat(pid))?.state;
}

/** Whether a process runs or is stopped (a zombie or a missing pid count as gone). */
export async function isAlive(pid: number): Promise<boolean> {
  const state = await procState(pid);
  return state !== undefined && state !== "Z" && state !== "X";
}

/** A live process: its pid and command line. */
export interface LiveProcess {
  readonly pid: number;
  readonly argv: string[];
}

/**
 * Live processes (zombies excluded) whose command line mentions `needle`. A child caught between
 * its fork and its exec still shows its parent's command line: it is not counted as a second
 * copy of its parent.
 */
export async function processesWith(needle: string): Promise<LiveProcess[]> {
  const found: (LiveProcess & { ppid: number })[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const argv = await Deno.readTextFile(`/proc/${entry.name}/cmdline`)
      .then((text) => text.split("\0").filter(Boolean), () => [] as string[]);
    if (!argv.some((arg) => arg.includes(needle))) continue;
    const stat = await readProcStat(Number(entry.name));
    if (stat === undefined || stat.state === "Z") continue;
    found.push({ pid: Number(entry.name), argv, ppid: stat.ppid });
  }
  const unexeced = (p: { ppid: number; argv: string[] }) =>
    found.some((parent) => parent.pid === p.ppid && parent.argv.join("\0") === p.argv.join("\0"));
  return found.filter((p) => !unexeced(p)).map(({ pid, argv }) => ({ pid, argv }));
}

/** Pids of the live processes whose command line mentions `needle`, ascending. */
export async function pidsWith(needle: string): Promise<number[]> {
  return (await processesWith(needle)).map((p) => p.pid).sort((a, b) => a - b);
}

/**
 * The streamlinks whose command line mentions `needle` (a sandbox's temp dir, a part path): the
 * live remuxer's ffmpeg names the same folder, so a match on the path alone counts it too.
 */
export async function streamlinksWith(needle: string): Promise<LiveProcess[]> {
  return (await processesWith(needle)).filter((p) =>
    p.argv.some((arg) => arg.endsWith("/streamlink") || arg === "streamlink")
  );
}
