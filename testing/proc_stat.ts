/**
 * The kernel's accounting of a process, read from `/proc` (Linux only). The benchmarks read
 * CPU time and peak memory from here rather than from the processes themselves: it costs the
 * measured process nothing, and it separates a process from its children, which
 * `getrusage(RUSAGE_CHILDREN)` (not available from Deno anyway) would lump together.
 */

/** The fields of `/proc/<pid>/stat` the benchmarks use; times in seconds. */
export interface ProcStat {
  readonly pid: number;
  /** Executable name, at most 15 characters (`streamlink`, `ffmpeg`, `deno`). */
  readonly comm: string;
  /** `R` running, `S` sleeping, `T` stopped, `Z` zombie... */
  readonly state: string;
  readonly ppid: number;
  /** utime + stime of every thread of the process, children excluded. */
  readonly cpuSeconds: number;
  /** cutime + cstime: CPU of children the process has already waited for (reaped). */
  readonly reapedChildrenCpuSeconds: number;
}

/** Byte counters of `/proc/<pid>/io`. */
export interface ProcIo {
  /** Bytes passed to write()-like calls, whether or not they reach the disk yet. */
  readonly wchar: number;
  /** Bytes the process caused to be sent to storage (page-cache pages it dirtied). */
  readonly writeBytes: number;
  /** Of those, bytes that never reached storage: the file was truncated or deleted first. */
  readonly cancelledWriteBytes: number;
  readonly rchar: number;
  readonly readBytes: number;
}

let clockTicks: number | undefined;

/** `sysconf(_SC_CLK_TCK)`, the unit of the time fields in `/proc/<pid>/stat` (100 nearly everywhere). */
export async function clockTicksPerSecond(): Promise<number> {
  if (clockTicks === undefined) {
    const output = await new Deno.Command("getconf", { args: ["CLK_TCK"], stderr: "null" })
      .output().catch(() => undefined);
    const parsed = Number(new TextDecoder().decode(output?.stdout ?? new Uint8Array()).trim());
    clockTicks = Number.isInteger(parsed) && parsed > 0 ? parsed : 100;
  }
  return clockTicks;
}

/** Reads `/proc/<pid>/stat`; `undefined` once the process is gone. */
export async function readProcStat(pid: number): Promise<ProcStat | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(`/proc/${pid}/stat`);
  } catch {
    return undefined;
  }
  return parseProcStat(text, await clockTicksPerSecond());
}

/**
 * Parses a stat line. The command name is in parentheses and may itself contain spaces or
 * parentheses, so fields are counted from the last `)`.
 */
export function parseProcStat(text: string, ticksPerSecond: number): ProcStat {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  const fields = text.slice(close + 2).trim().split(" ");
  // fields[0] is field 3 of proc(5): state; utime is field 14, cstime field 17.
  const field = (n: number) => Number(fields[n - 3] ?? NaN);
  return {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    state: fields[0] ?? "?",
    ppid: field(4),
    cpuSeconds: (field(14) + field(15)) / ticksPerSecond,
    reapedChildrenCpuSeconds: (field(16) + field(17)) / ticksPerSecond,
  };
}

/** Peak resident memory (`VmHWM`) in bytes; `undefined` once the process is gone. */
export function peakRssBytes(pid: number): Promise<number | undefined> {
  return kilobyteField(`/proc/${pid}/status`, "VmHWM");
}

/**
 * A process's proportional set size now, bytes (`Pss` of `/proc/<pid>/smaps_rollup`): its own
 * pages plus its share of pages mapped by several processes (the shared libraries of six
 * ffmpegs count once in all, where an RSS sum counts them six times); undefined when gone.
 */
export function pssBytes(pid: number): Promise<number | undefined> {
  return kilobyteField(`/proc/${pid}/smaps_rollup`, "Pss");
}

/** The `<name>: <n> kB` line of a `/proc` file, in bytes; undefined when the file is gone. */
async function kilobyteField(path: string, name: string): Promise<number | undefined> {
  try {
    const text = await Deno.readTextFile(path);
    const match = new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, "m").exec(text);
    return match?.[1] ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * I/O counters of a process. Read for this very process (`"self"`), they include every child
 * it has reaped: the kernel adds a child's counters to its parent's when the parent waits.
 */
export async function readProcIo(pid: number | "self"): Promise<ProcIo> {
  const text = await Deno.readTextFile(`/proc/${pid}/io`);
  const value = (key: string) => Number(new RegExp(`^${key}: (\\d+)$`, "m").exec(text)?.[1] ?? 0);
  return {
    wchar: value("wchar"),
    writeBytes: value("write_bytes"),
    cancelledWriteBytes: value("cancelled_write_bytes"),
    rchar: value("rchar"),
    readBytes: value("read_bytes"),
  };
}

/**
 * Every live process, by scanning `/proc/*\/stat` (this kernel has no
 * `/proc/<pid>/task/<tid>/children`). A few milliseconds per call with ~100 processes.
 */
export async function listProcesses(): Promise<ProcStat[]> {
  const ticks = await clockTicksPerSecond();
  const found: ProcStat[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      found.push(parseProcStat(await Deno.readTextFile(`/proc/${entry.name}/stat`), ticks));
    } catch {
      // Exited while we looked.
    }
  }
  return found;
}

/** Live descendants of `root` (children, grandchildren...), excluding zombies. */
export async function descendants(root: number): Promise<ProcStat[]> {
  const all = await listProcesses();
  const byParent = new Map<number, ProcStat[]>();
  for (const process of all) {
    const siblings = byParent.get(process.ppid) ?? [];
    siblings.push(process);
    byParent.set(process.ppid, siblings);
  }
  const found: ProcStat[] = [];
  const queue = [root];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    for (const child of byParent.get(pid) ?? []) {
      if (child.state === "Z") continue;
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

/**
 * SIGKILLs `root` and every descendant the benchmark started through it (ffmpeg under the
 * encoder, streamlink under a recorder), by pid. Used on failure paths only: the normal path
 * stops each process the way a user would.
 */
export async function killTree(root: number): Promise<void> {
  const pids = [root, ...(await descendants(root)).map((process) => process.pid)];
  for (const pid of pids) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
}
