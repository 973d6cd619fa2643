/**
 * Headless Chromium (Debian's `chromium`) for end-to-end tests of the status page: the DOM
 * after the page's script ran (`--dump-dom`) and a screenshot. A fresh profile per run, no
 * network beyond the page asked for (no updates, sync, QUIC or background requests).
 */
import { join } from "node:path";

/** Where test artifacts (screenshots) go: `test-artifacts/` at the repository root. */
export const ARTIFACTS_DIR = new URL("../test-artifacts/", import.meta.url).pathname;

/** The Chromium program, or `undefined` when it is not installed. */
export function findChromium(): string | undefined {
  for (const path of ["/usr/bin/chromium", "/usr/bin/chromium-browser"]) {
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-extensions",
  "--disable-dev-shm-usage",
  "--hide-scrollbars",
  "--window-size=1280,1100",
];

async function runChromium(args: string[]): Promise<string> {
  const program = findChromium();
  if (!program) throw new Error("chromium is not installed (apt-get install chromium)");
  const profile = await Deno.makeTempDir({ prefix: "twitchtool-chromium-" });
  try {
    const child = new Deno.Command(program, {
      args: [...FLAGS, `--user-data-dir=${profile}`, ...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
    const output = await child.output().finally(() => clearTimeout(timer));
    const stdout = new TextDecoder().decode(output.stdout);
    if (!output.success) {
      throw new Error(
        `chromium failed (${output.code}): ${new TextDecoder().decode(output.stderr)}`,
      );
    }
    return stdout;
  } finally {
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  }
}

/** The page's DOM after its scripts ran for `budgetMs` of virtual time. */
export function dumpDom(url: string, budgetMs = 2000): Promise<string> {
  return runChromium([`--virtual-time-budget=${budgetMs}`, "--dump-dom", url]);
}

/** Saves a PNG of the page as `test-artifacts/<name>`; returns its path. */
export async function screenshot(url: string, name: string): Promise<string> {
  await Deno.mkdir(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, name);
  await runChromium(["--virtual-time-budget=2000", `--screenshot=${path}`, url]);
  return path;
}

/**
 * A page open in headless Chromium, driven over the DevTools protocol (Deno's WebSocket), for
 * what one-shot dumps cannot show: the page updating itself while it stays open.
 */
export class BrowserPage {
  #nextId = 1;
  readonly #waiting = new Map<number, (message: CdpMessage) => void>();

  private constructor(
    private readonly child: Deno.ChildProcess,
    private readonly socket: WebSocket,
    private readonly sessionId: string,
    private readonly profile: string,
  ) {
    socket.onmessage = (event) => {
      const message = JSON.parse(String(event.data)) as CdpMessage;
      if (message.id !== undefined) this.#waiting.get(message.id)?.(message);
    };
  }

  /** Starts Chromium and opens `url` in a new tab. */
  static async open(url: string): Promise<BrowserPage> {
    const program = findChromium();
    if (!program) throw new Error("chromium is not installed (apt-get install chromium)");
    const profile = await Deno.makeTempDir({ prefix: "twitchtool-chromium-" });
    const child = new Deno.Command(program, {
      args: [...FLAGS, `--user-data-dir=${profile}`, "--remote-debugging-port=0", "about:blank"],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const endpoint = await devtoolsEndpoint(child.stderr);
    const socket = new WebSocket(endpoint);
    await new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = reject;
    });
    const page = new BrowserPage(child, socket, "", profile);
    const { targetId } = await page.#send("Target.createTarget", { url }) as { targetId: string };
    const { sessionId } = await page.#send("Target.attachToTarget", {
      targetId,
      flatten: true,
    }) as { sessionId: string };
    return new BrowserPage(child, socket, sessionId, profile);
  }

  /** Evaluates `expression` in the page; returns its (JSON) value. */
  async evaluate<T>(expression: string): Promise<T> {
    const result = await this.#send("Runtime.evaluate", {
      expression,
      returnByValue: true,
      awaitPromise: true,
    }) as { result: { value: T }; exceptionDetails?: unknown };
    if (result.exceptionDetails) {
      throw new Error(`Page script failed: ${JSON.stringify(result.exceptionDetails)}`);
    }
    return result.result.value;
  }

  #send(method: string, params: Record<string, unknown>): Promise<unknown> {
    const id = this.#nextId++;
    const message = {
      id,
      method,
      params,
      ...(this.sessionId ? { sessionId: this.sessionId } : {}),
    };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${method} timed out`)), 30_000);
      this.#waiting.set(id, (answer) => {
        clearTimeout(timer);
        this.#waiting.delete(id);
        if (answer.error) reject(new Error(`${method}: ${JSON.stringify(answer.error)}`));
        else resolve(answer.result);
      });
      this.socket.send(JSON.stringify(message));
    });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.socket.close();
    try {
      this.child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await this.child.status;
    await Deno.remove(this.profile, { recursive: true }).catch(() => {});
  }
}

interface CdpMessage {
  readonly id?: number;
  readonly result?: unknown;
  readonly error?: unknown;
}

/** Reads Chromium's stderr up to its `DevTools listening on ws://...` line; drains the rest. */
async function devtoolsEndpoint(stderr: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const timeout = setTimeout(() => reader.cancel(), 30_000);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`chromium exited before listening: ${text}`);
      text += value;
      const match = /DevTools listening on (ws:\/\/\S+)/.exec(text);
      if (match) {
        (async () => {
          while (!(await reader.read().catch(() => ({ done: true }))).done) {
            // Keep the pipe drained so chromium never blocks on a full stderr.
          }
        })();
        return match[1]!;
      }
    }
  } finally {
    clearTimeout(timeout);
  }
}

/** What Chromium made of a video after seeking into it and playing a moment. */
export interface PlayedVideo {
  /** Seconds the browser found in the file when it opened it. */
  readonly duration: number;
  /** Where the seek landed, and `readyState` there (2+: the frame at that time is decoded). */
  readonly seekedTo: number;
  readonly readyState: number;
  /** Where playing for a moment from there got to, and the frames it decoded. */
  readonly playedTo: number;
  readonly framesDecoded: number;
  readonly videoWidth: number;
}

/**
 * Opens the video at `path` in Chromium's `<video>` element (as a user opening the file in a
 * browser would, `file://`), seeks to `seconds`, plays for a second and reports what it got.
 */
export async function playVideoFile(path: string, seconds: number): Promise<PlayedVideo> {
  const dir = await Deno.makeTempDir({ prefix: "twitchtool-video-" });
  try {
    const html = join(dir, "play.html");
    const source = new URL(`file://${path}`).href;
    await Deno.writeTextFile(html, `<!doctype html><video id=v muted src="${source}"></video>`);
    await using page = await BrowserPage.open(`file://${html}`);
    // The new tab starts on about:blank: a script run before the page loaded is lost with it.
    for (
      let tries = 0;
      !(await page.evaluate<boolean>(`!!document.getElementById("v")`).catch(() => false));
      tries++
    ) {
      if (tries > 200) throw new Error(`${html} did not load`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return await page.evaluate<PlayedVideo>(`(async () => {
      const v = document.getElementById("v");
      const event = (name) => new Promise((resolve, reject) => {
        v.addEventListener(name, resolve, { once: true });
        v.addEventListener("error", () => reject(new Error(v.error?.message ?? "error")), { once: true });
        setTimeout(() => reject(new Error(name + " never came; readyState " + v.readyState)), 20000);
      });
      if (v.readyState < 1) await event("loadedmetadata");
      const duration = v.duration;
      v.currentTime = ${seconds};
      await event("seeked");
      const seekedTo = v.currentTime, readyState = v.readyState;
      await v.play();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      v.pause();
      return { duration, seekedTo, readyState, playedTo: v.currentTime,
        framesDecoded: v.getVideoPlaybackQuality().totalVideoFrames, videoWidth: v.videoWidth };
    })()`);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
