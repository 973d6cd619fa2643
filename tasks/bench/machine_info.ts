/**
 * The machine and tool versions a run's numbers belong to, stored with them in the JSON:
 * numbers without this cannot be compared with a later run.
 */
import { runCommand } from "../../src/proc/spawn.ts";

/** Where the numbers were measured. */
export interface MachineInfo {
  readonly date: string;
  readonly nproc: number;
  readonly cpu_model: string;
  readonly memory_gib: number;
  readonly kernel: string;
  readonly deno: string;
  readonly streamlink: string;
  readonly ffmpeg: string;
  /** 1, 5 and 15 minute load averages when the run started: others share this machine. */
  readonly load_average: number[];
}

/** Collects {@link MachineInfo} for this machine, now. */
export async function machineInfo(): Promise<MachineInfo> {
  return {
    date: new Date().toISOString(),
    nproc: navigator.hardwareConcurrency,
    cpu_model: await cpuModel(),
    memory_gib: Math.round(Deno.systemMemoryInfo().total / 2 ** 30 * 10) / 10,
    kernel: Deno.osRelease(),
    deno: Deno.version.deno,
    streamlink: (await firstLine("streamlink", ["--version"])).replace(/^streamlink\s+/, ""),
    ffmpeg: (await firstLine("ffmpeg", ["-version"])).replace(/^ffmpeg version\s+(\S+).*$/, "$1"),
    load_average: loadAverage(),
  };
}

/** 1, 5 and 15 minute load averages, two decimals. */
export function loadAverage(): number[] {
  return Deno.loadavg().map((load) => Math.round(load * 100) / 100);
}

async function cpuModel(): Promise<string> {
  try {
    const cpuinfo = await Deno.readTextFile("/proc/cpuinfo");
    return /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? "unknown";
  } catch {
    return "unknown";
  }
}

async function firstLine(command: string, args: string[]): Promise<string> {
  try {
    const result = await runCommand(command, args);
    return (result.stdout || result.stderr).trim().split("\n")[0] ?? "unknown";
  } catch {
    return "not installed";
  }
}
