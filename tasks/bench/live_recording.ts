/**
 * A real `twitchtool record` (deno run with the binary's flags, real streamlink and ffmpeg) of
 * a channel on the local HLS server, in a sandbox HOME: what the recorder and reconnect
 * benchmarks drive. Disposing it stops everything it started, whatever state it is in.
 */
import { join } from "node:path";
import { SlotPool } from "../../src/state/slot_pool.ts";
import {
  type CliResult,
  collect,
  defaultConfig,
  listDir,
  makeSandbox,
  type Sandbox,
  spawnCli,
} from "../../testing/cli.ts";
import { type LiveHlsServer, startHlsServer } from "../../testing/hls_server.ts";
import type { SegmentSet } from "../../testing/segments.ts";
import { killTree } from "../../testing/proc_stat.ts";
import { pollUntil } from "./wait.ts";

/** How the test config (testing/cli.ts `defaultConfig`) is changed for a benchmark. */
export type ConfigEdit = (toml: string) => string;

/** A running recording; `await using` it. */
export class LiveRecording implements AsyncDisposable {
  #exited = false;

  private constructor(
    readonly user: string,
    readonly server: LiveHlsServer,
    readonly sandbox: Sandbox,
    readonly process: Deno.ChildProcess,
    readonly result: Promise<CliResult>,
  ) {
    const exited = () => this.#exited = true;
    result.then(exited, exited);
  }

  /**
   * Starts the server with `user` live (serving `segments`, the test stream by default), then
   * `twitchtool record <user>` with the test config changed by `edit`.
   */
  static async start(
    user: string,
    options: { edit?: ConfigEdit; segments?: SegmentSet } = {},
  ): Promise<LiveRecording> {
    const edit = options.edit ?? ((toml: string) => toml);
    const server = await startHlsServer({
      endGraceMs: 1200,
      ...(options.segments ? { segments: options.segments } : {}),
    });
    let sandbox: Sandbox | undefined;
    try {
      sandbox = await makeSandbox();
      await sandbox.writeConfig(edit(defaultConfig(sandbox, server.urlTemplate)));
      server.goLive(user);
      const process = spawnCli(sandbox, ["record", user]);
      return new LiveRecording(user, server, sandbox, process, collect(process));
    } catch (error) {
      await server.close();
      await sandbox?.[Symbol.asyncDispose]();
      throw error;
    }
  }

  /** The recorder's pid (a deno process). */
  get pid(): number {
    return this.process.pid;
  }

  /** Waits until the recorder's slot says `capturing` (data flows); returns that moment. */
  async waitCapturing(signal: AbortSignal): Promise<number> {
    const pool = new SlotPool(this.sandbox.runtimeDir, 6);
    await pollUntil(`${this.user} capturing`, async () => {
      if (this.#exited) throw new Error(`The recorder exited early: ${(await this.result).stderr}`);
      return (await pool.list()).some((slot) =>
        slot.username === this.user && slot.state === "capturing"
      );
    }, { everyMs: 100, timeoutMs: 60_000, signal });
    return performance.now();
  }

  /**
   * Ends the broadcast, waits for the last part to end (slot back to `waiting`), then stops
   * the recorder with SIGTERM as a user would, so it finalizes at once instead of waiting out
   * `retry_window`. Fails unless it exits 0.
   */
  async endAndStop(signal: AbortSignal): Promise<CliResult> {
    this.server.end(this.user);
    const pool = new SlotPool(this.sandbox.runtimeDir, 6);
    await pollUntil(`${this.user}'s last part to end`, async () => {
      if (this.#exited) return true;
      const slot = (await pool.list()).find((s) => s.username === this.user);
      return slot?.state !== "capturing";
    }, { everyMs: 100, timeoutMs: 60_000, signal });
    try {
      this.process.kill("SIGTERM");
    } catch {
      // It exited on its own meanwhile.
    }
    const result = await this.result;
    if (result.code !== 0) {
      throw new Error(`twitchtool record exited with ${result.code}: ${result.stderr}`);
    }
    return result;
  }

  /** The finished `.mp4` in the record dir. */
  async finalFile(): Promise<string> {
    const finals = (await listDir(this.sandbox.recordDir)).filter((name) => name.endsWith(".mp4"));
    if (finals.length !== 1) throw new Error(`Expected one .mp4, found ${finals.join(", ")}`);
    return join(this.sandbox.recordDir, finals[0]!);
  }

  /** Kills the recorder and its streamlink if still running, closes the server, removes HOME. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#exited) await killTree(this.process.pid);
    await this.result.catch(() => {});
    await this.server.close();
    await this.sandbox[Symbol.asyncDispose]();
  }
}
