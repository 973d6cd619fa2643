/**
 * A real WebDAV server on loopback for the upload tests and the bench: `rclone serve webdav`
 * over a folder, with a user and password, and an rclone config file that reaches it (the
 * password stored obscured, as `rclone config` stores it). It can be stopped and started again
 * on the same port, as a server that goes away and comes back.
 */
import { join } from "node:path";
import { makeSandbox, type Sandbox } from "./cli.ts";
import { freeLoopbackPort, obscure, spawnRcloneServe } from "./rclone_serve.ts";
import { mountTmpfs } from "./tmpfs.ts";

/** A running (or stopped) WebDAV server and the rclone config that reaches it as `dav:`. */
export interface WebdavServer {
  readonly port: number;
  /** The folder it serves. */
  readonly root: string;
  /** An rclone config file with `[dav]` (right password) and `[wrong]` (wrong password). */
  readonly rcloneConfig: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts `rclone serve webdav` on a free loopback port, serving `root` to `user`/`pass`. */
export async function startWebdav(
  root: string,
  configDir: string,
  options: { user?: string; pass?: string } = {},
): Promise<WebdavServer> {
  const user = options.user ?? "u";
  const pass = options.pass ?? "p";
  const port = freeLoopbackPort();
  const rcloneConfig = join(configDir, "rclone.conf");
  const remote = async (name: string, password: string) =>
    `[${name}]\ntype = webdav\nurl = http://127.0.0.1:${port}\nvendor = other\nuser = ${user}\npass = ${await obscure(
      password,
    )}\n`;
  await Deno.writeTextFile(
    rcloneConfig,
    (await remote("dav", pass)) + (await remote("wrong", pass + "-wrong")),
    { mode: 0o600 },
  );
  let child: Deno.ChildProcess | undefined;
  const server: WebdavServer = {
    port,
    root,
    rcloneConfig,
    start: async () => {
      child = await spawnRcloneServe("webdav", root, port, { user, pass });
    },
    stop: async () => {
      if (!child) return;
      child.kill("SIGTERM");
      await child.status;
      child = undefined;
    },
    [Symbol.asyncDispose]: () => server.stop(),
  };
  await server.start();
  return server;
}

/** What {@link withWebdavSandbox} hands a test. */
export interface WebdavSandbox {
  readonly sb: Sandbox;
  readonly dav: WebdavServer;
  /** The folder the server serves: what arrived there arrived at the remote. */
  readonly served: string;
  /** The folder `served` is in: the sandbox's HOME, or the tmpfs with `tmpfs`. */
  readonly disk: string;
}

/**
 * Runs `test` with a CLI sandbox and a WebDAV server (user and `pass`) serving a folder of it,
 * its rclone config in the sandbox's HOME; on a small tmpfs of `tmpfs` bytes (e.g. `"1m"`) when
 * given, for a remote that fills up. The server stops, the tmpfs goes and the sandbox is removed
 * afterwards, in that order, also when the test fails.
 */
export async function withWebdavSandbox<T>(
  options: { pass?: string; tmpfs?: string },
  test: (context: WebdavSandbox) => Promise<T>,
): Promise<T> {
  await using sb = await makeSandbox();
  const disk = options.tmpfs ? join(sb.home, "small") : sb.home;
  await using _mount = options.tmpfs ? await mountTmpfs(disk, options.tmpfs) : undefined;
  const served = join(disk, "served");
  await Deno.mkdir(served);
  await using dav = await startWebdav(served, sb.home, options);
  return await test({ sb, dav, served, disk });
}
