/**
 * End to end: the status page's listener against the clients of issue 23, over real sockets to
 * a real `status --serve`. A `Host` naming someone else's server (DNS rebinding) is refused
 * unless the token came with it; 600 half-sent requests held open do not shut out a real one;
 * a bare-LF request and an absolute-form target are answered; and a process started with only
 * 64 file descriptors neither dies nor stops serving when clients hold more than that.
 */
import assert from "node:assert/strict";
import {
  cliCommandArgs,
  type CliResult,
  collect,
  defaultConfig,
  makeSandbox,
  runCli,
  type Sandbox,
  spawnCli,
} from "../testing/cli.ts";
import { eventually } from "../testing/eventually.ts";
import { parsePrometheusText } from "../testing/prometheus.ts";
import { freePort, parseRawAnswer, type RawAnswer, rawExchange } from "../testing/raw_http.ts";

const NOWHERE = "hls://http://127.0.0.1:9/{user}";
const TOKEN = "a-listener-token-0123456789";
/** A request head that never ends. */
const HALF_SENT = "GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ";

/** `status --serve listen` in the sandbox, optionally with at most `nofile` descriptors. */
function serve(sandbox: Sandbox, listen: string, nofile?: number): Deno.ChildProcess {
  const args = ["status", "--serve", listen];
  if (nofile === undefined) return spawnCli(sandbox, args);
  // The limit set for the serving process itself, soft and hard (Deno raises soft to hard).
  return new Deno.Command("bash", {
    args: [
      "-c",
      'ulimit -n "$0" && exec "$@"',
      String(nofile),
      Deno.execPath(),
      ...cliCommandArgs(args),
    ],
    env: sandbox.env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** `GET target` with `Host: host` (and more header lines), read to the server's close. */
async function get(port: number, target: string, host: string, extra = ""): Promise<RawAnswer> {
  return parseRawAnswer(
    await rawExchange(port, `GET ${target} HTTP/1.1\r\nHost: ${host}\r\n${extra}\r\n`),
  );
}

/** Waits until `/api/status` answers 200 (the first reading has landed). */
async function untilAnswering(port: number, extra = ""): Promise<void> {
  await eventually("the status page answering", async () => {
    const answer = await get(port, "/api/status", "localhost", extra).catch(() => undefined);
    return answer?.status === 200;
  }, 60_000);
}

/** Stops the server with SIGTERM; returns how it ended and what it printed. */
async function stop(process: Deno.ChildProcess): Promise<CliResult> {
  try {
    process.kill("SIGTERM");
  } catch {
    // Exited already: collect() says how.
  }
  return await collect(process);
}

async function statusJson(sandbox: Sandbox): Promise<string> {
  const result = await runCli(sandbox, ["status", "--json"]);
  assert.equal(result.code, 0, result.stderr);
  return result.stdout;
}

/** Opens `count` connections that each send half a request head and hold it. */
async function holdHalfSent(port: number, count: number): Promise<Deno.Conn[]> {
  const held: Deno.Conn[] = [];
  const bytes = new TextEncoder().encode(HALF_SENT);
  for (let i = 0; i < count; i++) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    held.push(conn);
    await conn.write(bytes).catch(() => 0); // Closed by the server already: still held here.
  }
  return held;
}

function closeAll(conns: Deno.Conn[]): void {
  for (const conn of conns) {
    try {
      conn.close();
    } catch {
      // Closed already.
    }
  }
}

Deno.test("the status page without a token answers only a Host naming this machine; with one, the token decides", async () => {
  await using sandbox = await makeSandbox({ urlTemplate: NOWHERE });
  const port = freePort();
  const server = serve(sandbox, `127.0.0.1:${port}`);
  try {
    await untilAnswering(port);
    const expected = await statusJson(sandbox);
    for (const target of ["/api/status", "/", "/metrics", "/api/page"]) {
      for (const host of ["attacker.example", `attacker.example:${port}`]) {
        const refused = await get(port, target, host);
        assert.equal(refused.status, 421, `${host}${target}`);
        assert.ok(!refused.body.includes(sandbox.home), "no path of this machine");
      }
    }
    const rebound = await rawExchange(port, "GET /api/status HTTP/1.1\r\nX-No-Host: 1\r\n\r\n");
    assert.equal(parseRawAnswer(rebound).status, 421, "no Host at all");
    for (const host of ["localhost", `localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) {
      const answered = await get(port, "/api/status", host);
      assert.equal(answered.status, 200, host);
      assert.equal(answered.body, expected, `${host}: exactly status --json`);
    }
  } finally {
    await stop(server);
  }

  // With a token (needed off loopback) any name is answered with it, none without.
  await sandbox.writeConfig(defaultConfig(sandbox, NOWHERE, `\n[web]\ntoken = "${TOKEN}"\n`));
  const open = freePort();
  const withToken = serve(sandbox, `0.0.0.0:${open}`);
  const bearer = `Authorization: Bearer ${TOKEN}\r\n`;
  try {
    await untilAnswering(open, bearer);
    const answered = await get(open, "/api/status", "my-vps.example:8686", bearer);
    assert.equal(answered.status, 200);
    assert.equal(answered.body, await statusJson(sandbox));
    assert.equal((await get(open, `/metrics?token=${TOKEN}`, "192.0.2.7")).status, 200);
    assert.equal((await get(open, "/api/status", "attacker.example")).status, 401);
  } finally {
    const result = await stop(withToken);
    assert.ok(!(result.stdout + result.stderr).includes(TOKEN), "the token is never printed");
  }
});

Deno.test("600 half-sent requests held open do not shut a real request out of the status page", async () => {
  await using sandbox = await makeSandbox({ urlTemplate: NOWHERE });
  const port = freePort();
  const server = serve(sandbox, `127.0.0.1:${port}`);
  let held: Deno.Conn[] = [];
  try {
    await untilAnswering(port);
    const expected = await statusJson(sandbox);
    held = await holdHalfSent(port, 600);
    const answered = await get(port, "/api/status", "localhost");
    assert.equal(answered.status, 200, "answered despite 600 held connections");
    assert.equal(answered.body, expected);
    const metrics = await get(port, "/metrics", `127.0.0.1:${port}`);
    assert.equal(metrics.status, 200);
    parsePrometheusText(metrics.body);
  } finally {
    closeAll(held);
    await stop(server);
  }
});

Deno.test("the status page answers bare-LF requests and absolute-form targets", async () => {
  await using sandbox = await makeSandbox({ urlTemplate: NOWHERE });
  const port = freePort();
  const server = serve(sandbox, `127.0.0.1:${port}`);
  try {
    await untilAnswering(port);
    const expected = await statusJson(sandbox);
    const bare = parseRawAnswer(
      await rawExchange(port, "GET /api/status HTTP/1.1\nHost: localhost\nAccept: */*\n\n"),
    );
    assert.equal(bare.status, 200, "bare LF");
    assert.equal(bare.body, expected);
    const absolute = await get(port, `http://127.0.0.1:${port}/api/status`, `127.0.0.1:${port}`);
    assert.equal(absolute.status, 200, "absolute form");
    assert.equal(absolute.body, expected);
    const metrics = await get(port, `http://localhost:${port}/metrics`, "localhost");
    assert.equal(metrics.status, 200);
    parsePrometheusText(metrics.body);
    // The target's authority is the host asked for, whatever Host says.
    const rebound = await get(port, "http://attacker.example/api/status", "localhost");
    assert.equal(rebound.status, 421);
  } finally {
    await stop(server);
  }
});

Deno.test("a status page with 64 file descriptors, held by 200 clients, keeps serving and answers again once they close", async () => {
  await using sandbox = await makeSandbox({ urlTemplate: NOWHERE });
  const port = freePort();
  const server = serve(sandbox, `127.0.0.1:${port}`, 64);
  let held: Deno.Conn[] = [];
  let stopped: CliResult | undefined;
  try {
    await untilAnswering(port);
    const expected = await statusJson(sandbox);
    held = await holdHalfSent(port, 200);
    const during = await get(port, "/api/status", "localhost");
    assert.equal(during.status, 200, "answered while clients hold more than the limit");
    closeAll(held);
    held = [];
    const after = await eventually("an answer once the clients closed", async () => {
      const answer = await get(port, "/api/status", "localhost").catch(() => undefined);
      return answer?.status === 200 && answer;
    });
    assert.equal(after.body, expected);
    stopped = await stop(server);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stderr, /Status page out of file descriptors/);
  } finally {
    closeAll(held);
    if (!stopped) await stop(server);
  }
});
