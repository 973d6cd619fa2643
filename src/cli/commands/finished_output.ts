import type { FinishedSession } from "../../record/finish_session.ts";
import { printLine } from "../output.ts";

/** One line per delivered file and the job, shared by `record` and `recover`. */
export function printFinished(verb: string, finished: FinishedSession): void {
  const [deliverable, ...extra] = finished.delivered;
  const length = Number.isFinite(finished.duration) && finished.duration > 0
    ? `${finished.duration.toFixed(1)} s`
    : "unknown length";
  printLine(`${verb} ${finished.user}: ${deliverable} (${length} from ${finished.parts} part(s))`);
  if (finished.fallbackReason) printLine(`Not a verified .mp4: ${finished.fallbackReason}`);
  for (const path of extra) printLine(`Also kept: ${path}`);
  if (finished.job) printLine(`Encode job queued: ${finished.job}`);
}
