import { join } from "node:path";
import { writeJsonAtomic } from "./atomic_write.ts";

/** An encode job as stored in `<queue_dir>/jobs/*.json`. */
export interface EncodeJob {
  /** Absolute path of the finalized recording. */
  readonly input: string;
  /** Absolute path of the compressed result. */
  readonly output: string;
  /** ISO 8601; jobs run oldest first. */
  readonly created_at: string;
  readonly delete_input_on_success: boolean;
}

/** Folder holding pending jobs. */
export function jobsDir(queueDir: string): string {
  return join(queueDir, "jobs");
}

/** Writes a job atomically under a unique name; returns its path. */
export async function enqueueJob(queueDir: string, job: EncodeJob): Promise<string> {
  const dir = jobsDir(queueDir);
  await Deno.mkdir(dir, { recursive: true });
  const stamp = job.created_at.replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  const stem = job.input.split("/").pop()?.replace(/\.[^.]+$/, "") ?? "job";
  for (let n = 0;; n++) {
    const path = join(dir, `${stamp}_${stem}${n ? `-${n}` : ""}.json`);
    if (await exists(path)) continue;
    await writeJsonAtomic(path, job);
    return path;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
