/**
 * What the loopback servers of `rclone serve` (webdav_server.ts, sftp_server.ts) share: a free
 * port, a password obscured as rclone's config files store it, and the wait for the listener.
 */

/** A loopback port free at this moment (the server is started on it next). */
export function freeLoopbackPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** `rclone obscure`: how rclone's config files store a password. */
export async function obscure(password: string): Promise<string> {
  const output = await new Deno.Command("rclone", {
    args: ["obscure", "-"],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const writer = output.stdin.getWriter();
  await writer.write(new TextEncoder().encode(password));
  await writer.close();
  const result = await output.output();
  return new TextDecoder().decode(result.stdout).trim();
}

/** Waits until `port` on loopback accepts a connection (a server just started). */
export async function waitForPort(port: number, what: string): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt++) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`${what} did not listen on 127.0.0.1:${port}`);
}

/** Who may use a served folder: `rclone serve`'s `--user`/`--pass`. */
export interface ServeLogin {
  readonly user: string;
  readonly pass: string;
}

/**
 * Starts `rclone serve <protocol>` over `root` on loopback `port` and waits for its listener; a
 * server that never listens is stopped before the error is thrown.
 */
export async function spawnRcloneServe(
  protocol: "webdav" | "sftp",
  root: string,
  port: number,
  login: ServeLogin,
  extra: readonly string[] = [],
): Promise<Deno.ChildProcess> {
  const child = new Deno.Command("rclone", {
    args: [
      "serve",
      protocol,
      root,
      "--addr",
      `127.0.0.1:${port}`,
      "--user",
      login.user,
      "--pass",
      login.pass,
      ...extra,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    await waitForPort(port, `rclone serve ${protocol}`);
  } catch (error) {
    child.kill("SIGTERM");
    await child.status;
    throw error;
  }
  return child;
}
