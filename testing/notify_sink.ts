/**
 * A local HTTP server standing in for ntfy and for a JSON webhook: it records every request
 * (path, headers, body) and answers as told (`ok`, `fail` with HTTP 500, `slow`: no answer
 * until closed, or a redirect elsewhere). Loopback only.
 */

/** One request the sink received. */
export interface SinkRequest {
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** How the sink answers. */
export type SinkMode = "ok" | "fail" | "slow";

/** A running sink. */
export interface NotifySink extends AsyncDisposable {
  readonly port: number;
  readonly requests: SinkRequest[];
  mode: SinkMode;
  /** Answer this many requests with HTTP 500 first, whatever the mode. */
  failFirst: number;
  /** When set, every request is answered with this redirect (status 3xx, Location), whatever the mode. */
  redirect: { status: number; location: string } | undefined;
  /** JSON bodies of the requests to `path`, parsed, in arrival order. */
  json(path: string): Record<string, unknown>[];
}

/** Starts a sink on 127.0.0.1 at a free port. */
export function startNotifySink(mode: SinkMode = "ok"): NotifySink {
  const requests: SinkRequest[] = [];
  const stalled = new AbortController();
  const sink = {
    port: 0,
    requests,
    mode,
    failFirst: 0,
    redirect: undefined,
    json: (path: string) => requests.filter((r) => r.path === path).map((r) => JSON.parse(r.body)),
    [Symbol.asyncDispose]: async () => {
      stalled.abort();
      await server.shutdown();
    },
  } as NotifySink;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const body = await request.text();
      requests.push({
        path: new URL(request.url).pathname,
        headers: Object.fromEntries(request.headers),
        body,
      });
      if (sink.failFirst > 0) {
        sink.failFirst--;
        return new Response("not yet", { status: 500 });
      }
      if (sink.redirect) {
        const { status, location } = sink.redirect;
        return new Response(null, { status, headers: { Location: location } });
      }
      if (sink.mode === "fail") return new Response("no", { status: 500 });
      if (sink.mode === "slow") {
        await new Promise((resolve) => stalled.signal.addEventListener("abort", resolve));
        return new Response("late");
      }
      return new Response("ok");
    },
  );
  (sink as { port: number }).port = server.addr.port;
  return sink;
}
