import { ExitCode, TwitchtoolError, UsageError } from "../../errors.ts";
import { type ActiveSlot, SlotPool } from "../../state/slot_pool.ts";
import type { StopSessionResult } from "../../record/stop_session.ts";
import { type GlobalOptions, loadCommandConfig } from "../context.ts";
import { printLine } from "../output.ts";
import { parseSeconds, parseSlot } from "../options.ts";

/** Options of `twitchtool stop`. */
export interface StopOptions {
  timeout?: string;
  force?: boolean;
}

/**
 * `twitchtool stop <slot>`: ask the slot's recorder (SIGINT) or poller (stop request) to stop
 * and finalize, or stop a capture that runs with no host and finalize it here; wait for the
 * capture to stop (`--timeout`), SIGKILL a `record` process or hostless streamlink with
 * `--force`. Exit 2 for a malformed slot or one beyond `record_limit`, 1 for an empty one, a
 * capture still running at the deadline, or a recording that could not be finalized.
 */
export async function stopCommand(
  slotArg: string,
  options: StopOptions,
  globals: GlobalOptions,
): Promise<number> {
  const slotNumber = parseSlot(slotArg);
  const timeout = parseSeconds(options.timeout, "--timeout", 10);
  const config = await loadCommandConfig(globals);
  const limit = config.limits.recordLimit;
  if (slotNumber > limit) {
    throw new UsageError(
      `Invalid slot "${slotArg}": slots are numbered 1-${limit} (limits.record_limit = ${limit})`,
    );
  }
  const slot = await activeSlot(config.paths.runtimeDir, limit, slotNumber);
  const where = slot.unhosted
    ? `capturing with no host since pid ${slot.pid} went away`
    : slot.host === "poller"
    ? `in the poller, pid ${slot.pid}`
    : `pid ${slot.pid}`;
  printLine(`Stopping ${slot.username} in slot ${slot.slot} (${where})...`);
  const { stopSession } = await import("../../record/stop_session.ts");
  const result = await stopSession(config, slot, {
    timeoutMs: timeout * 1000,
    force: options.force ?? false,
  });
  return stopOutcome(slot, result, timeout);
}

/** The slot's recording; an empty slot is an error that names the slots in use. */
async function activeSlot(
  runtimeDir: string,
  limit: number,
  slotNumber: number,
): Promise<ActiveSlot> {
  const active = await new SlotPool(runtimeDir, limit).list();
  const slot = active.find((s) => s.slot === slotNumber);
  if (!slot) {
    const inUse = active.map((s) => `${s.slot} (${s.username})`).join(", ") || "none";
    throw new TwitchtoolError(
      `Slot "${slotNumber}" is empty: nothing to stop (slots in use: ${inUse})`,
      ExitCode.Failure,
    );
  }
  return slot;
}

/** The exit code of a finalized stop; every other outcome throws its message. */
function stopOutcome(slot: ActiveSlot, result: StopSessionResult, timeout: number): number {
  switch (result.kind) {
    case "finalized":
      printLine(
        `Stopped ${slot.username}: the recording was finalized: ${result.files.join(", ")}`,
      );
      return ExitCode.Ok;
    case "not-finalized":
      throw new TwitchtoolError(
        `Stopped ${slot.username}, but the recording was not finalized: ${result.detail}`,
        ExitCode.Failure,
      );
    case "timeout":
      if (slot.host === "poller" && !slot.unhosted) {
        throw new TwitchtoolError(
          `Recording of "${slot.username}" in the poller (pid ${slot.pid}) is still running after ${timeout} s: it may still be finalizing; wait or raise --timeout (--force does not kill the poller)`,
          ExitCode.Failure,
        );
      }
      throw new TwitchtoolError(
        `Recording of "${slot.username}" is still running after ${timeout} s: it may still be finalizing; wait, raise --timeout, or use --force to kill it`,
        ExitCode.Failure,
      );
  }
}
