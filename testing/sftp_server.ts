/**
 * A real SFTP server on loopback for the upload bench and tests: `rclone serve sftp` over a
 * folder, with a user and password. It answers the `md5sum`/`sha1sum` commands rclone's sftp
 * backend sends, so it is a network remote with hashes (computed by reading the file on the
 * server, as OpenSSH with a shell does), where `rclone serve webdav` has none.
 */
import { join } from "node:path";
import { freeLoopbackPort, obscure, spawnRcloneServe } from "./rclone_serve.ts";

/** A running SFTP server and the rclone config that reaches it as `sftp:`. */
export interface SftpServer {
  readonly port: number;
  /** The folder it serves. */
  readonly root: string;
  /** An rclone config file with `[sftp]`. */
  readonly rcloneConfig: string;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts `rclone serve sftp` on a free loopback port, serving `root` to `user`/`pass`. */
export async function startSftp(
  root: string,
  configDir: string,
  options: { user?: string; pass?: string } = {},
): Promise<SftpServer> {
  const user = options.user ?? "u";
  const pass = options.pass ?? "p";
  const port = freeLoopbackPort();
  const rcloneConfig = join(configDir, "rclone-sftp.conf");
  // The shell type is given, not detected: rclone would otherwise probe it on first use and
  // write it into the config file.
  await Deno.writeTextFile(
    rcloneConfig,
    `[sftp]\ntype = sftp\nhost = 127.0.0.1\nport = ${port}\nuser = ${user}\n` +
      `pass = ${await obscure(pass)}\nshell_type = unix\nmd5sum_command = md5sum\n` +
      "sha1sum_command = sha1sum\n",
    { mode: 0o600 },
  );
  // Its host keys are generated here, not in the user's cache.
  const cache = ["--cache-dir", join(configDir, "sftp-cache")];
  const child = await spawnRcloneServe("sftp", root, port, { user, pass }, cache);
  return {
    port,
    root,
    rcloneConfig,
    [Symbol.asyncDispose]: async () => {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}
