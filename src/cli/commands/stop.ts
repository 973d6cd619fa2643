import { ExitCode, TwitchtoolError, UsageError } from "../../errors.ts";
import { SlotPool } from "../../state/slot_pool.ts";
import { stopRecording } from "../../proc/stop_recording.ts";
import { type GlobalOptions, loadCommandConfig, override, printLine } from "../context.ts";
import { parseSeconds, parseSlot } from "../options.ts";

/** Options of `twitchtool stop`. */
export interface StopOptions {
  timeout?: string;
  force?: boolean;
  recordLimit?: string;
}

/**
 * `twitchtool stop <slot>`: SIGINT the slot's recorder so it finalizes what it captured, wait
 * for it (`--timeout`), SIGKILL with `--force`. Exit 2 for a malformed slot or one beyond
 * `record_limit`, 1 for an empty one or a recorder still running at the deadline.
 */
export async function stopCommand(
  slotArg: string,
  options: StopOptions,
  globals: GlobalOptions,
): Promise<number> {
  const slotNumber = parseSlot(slotArg);
  const timeout = parseSeconds(options.timeout, "--timeout", 10);
  const config = await loadCommandConfig(globals, {
    "limits.record_limit": override(options.recordLimit, "--record-limit"),
  });
  const limit = config.limits.recordLimit;
  if (slotNumber > limit) {
    throw new UsageError(
      `Invalid slot "${slotArg}": slots are numbered 1-${limit} (limits.record_limit = ${limit})`,
    );
  }
  const pool = new SlotPool(config.paths.runtimeDir, limit);
  const active = await pool.list();
  const slot = active.find((s) => s.slot === slotNumber);
  if (!slot) {
    const inUse = active.map((s) => `${s.slot} (${s.username})`).join(", ") || "none";
    throw new TwitchtoolError(
      `Slot "${slotNumber}" is empty: nothing to stop (slots in use: ${inUse})`,
      ExitCode.Failure,
    );
  }
  const where = slot.host === "poller" ? `in the poller, pid ${slot.pid}` : `pid ${slot.pid}`;
  printLine(`Stopping ${slot.username} in slot ${slot.slot} (${where})...`);
  const result = await stopRecording(config.paths.runtimeDir, slot, {
    timeoutMs: timeout * 1000,
    force: options.force ?? false,
  });
  switch (result) {
    case "stopped":
      printLine(`Stopped ${slot.username}: the recording was finalized`);
      return ExitCode.Ok;
    case "killed":
      printLine(
        `Killed ${slot.username} (pid ${slot.pid}) after ${timeout} s: its parts are kept in the temp folder`,
      );
      return ExitCode.Ok;
    case "timeout":
      if (slot.host === "poller") {
        throw new TwitchtoolError(
          `Recording of "${slot.username}" in the poller (pid ${slot.pid}) is still running after ${timeout} s: it may still be finalizing; wait or raise --timeout (--force does not kill the poller)`,
          ExitCode.Failure,
        );
      }
      throw new TwitchtoolError(
        options.force
          ? `Recorder of "${slot.username}" (pid ${slot.pid}) is still running ${timeout} s after SIGINT and 5 s after SIGKILL`
          : `Recorder of "${slot.username}" (pid ${slot.pid}) is still running after ${timeout} s: it may still be finalizing; wait, raise --timeout, or use --force to kill it`,
        ExitCode.Failure,
      );
  }
}
