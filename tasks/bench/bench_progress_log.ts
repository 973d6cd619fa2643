/**
 * Progress of a benchmark run on stderr, so a long run never looks hung and stdout keeps only
 * the result table: `[ 1:23] finalize: message`.
 */

/** Every how long {@link BenchProgressLog.during} reports on work that is still running. */
const TICK_MS = 5000;

/** Writes timestamped progress lines. */
export class BenchProgressLog {
  readonly #start = performance.now();

  constructor(private readonly write: (line: string) => void = (line) => console.error(line)) {}

  /** One line, prefixed with the time since the run started and the workload's name. */
  line(scope: string, message: string): void {
    const seconds = Math.floor((performance.now() - this.#start) / 1000);
    const clock = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
    this.write(`[${clock.padStart(5)}] ${scope}: ${message}`);
  }

  /** Awaits `work`, reporting every few seconds how long it has run and `detail()`. */
  async during<T>(
    scope: string,
    label: string,
    work: Promise<T>,
    detail?: () => Promise<string>,
  ): Promise<T> {
    this.line(scope, `${label}...`);
    const started = performance.now();
    let done = false;
    const timer = setInterval(async () => {
      const extra = detail ? await detail().catch(() => "") : "";
      if (done) return;
      const seconds = ((performance.now() - started) / 1000).toFixed(0);
      this.line(scope, `${label}: ${seconds} s${extra ? `, ${extra}` : ""}`);
    }, TICK_MS);
    try {
      return await work;
    } finally {
      done = true;
      clearInterval(timer);
    }
  }
}
