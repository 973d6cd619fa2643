/**
 * The check that decides whether a local file may be deleted: the remote file has the local
 * size and the same hash. The hash is one the remote offers without reading the file back
 * (`lsjson --hash`: sha256, sha1 or md5), else the content read back (`hashsum --download`)
 * for remotes that keep none (plain WebDAV, SFTP without shell access).
 */
import { createHash } from "node:crypto";
import { downloadHashArgs, HASH_TYPES, statArgs } from "./rclone_args.ts";
import { rcloneFailure } from "./rclone_failure.ts";
import type { RunRclone } from "./run_rclone.ts";
import type { UploadSettings } from "./upload_settings.ts";

/** The check passed (`checked` says with what), or why not. */
export type Arrival =
  | { readonly ok: true; readonly checked: string }
  | { readonly ok: false; readonly permanent: boolean; readonly reason: string };

/** Compares the remote file `remote` with the local `local` of `size` bytes. */
export async function verifyArrival(
  run: RunRclone,
  settings: Pick<UploadSettings, "rcloneConfig" | "extraArgs">,
  local: string,
  remote: string,
  size: number,
): Promise<Arrival> {
  const stat = await run(statArgs(settings, remote, true));
  if (stat.code !== 0) return { ok: false, ...rcloneFailure(stat.stderr, stat.code) };
  let entry: { Size?: unknown; Hashes?: Record<string, unknown> };
  try {
    entry = JSON.parse(stat.stdout);
  } catch {
    return {
      ok: false,
      permanent: false,
      reason: `Unreadable answer of rclone lsjson for ${remote}`,
    };
  }
  if (entry.Size !== size) {
    return {
      ok: false,
      permanent: false,
      reason: `Size differs after the copy: ${entry.Size} at "${remote}", ${size} here`,
    };
  }
  const type = HASH_TYPES.find((name) => typeof entry.Hashes?.[name] === "string");
  const hashType = type ?? "sha256";
  // The local hash is read while the remote one is computed (or read back).
  const local$ = hashFile(local, hashType);
  let remoteHash = type ? String(entry.Hashes![type]).toLowerCase() : undefined;
  if (!type) {
    const read = await run(downloadHashArgs(settings, remote));
    if (read.code !== 0) {
      await local$.catch(() => undefined);
      return { ok: false, ...rcloneFailure(read.stderr, read.code) };
    }
    remoteHash = read.stdout.trim().split(/\s+/)[0]?.toLowerCase();
  }
  const localHash = await local$;
  if (remoteHash !== localHash) {
    return {
      ok: false,
      permanent: false,
      reason: `Hash differs after the copy (${hashType}) for "${remote}"`,
    };
  }
  return { ok: true, checked: `${hashType}:${localHash}` };
}

/** `type` hash of a file, read in chunks so a recording of any size fits in memory. */
export async function hashFile(path: string, type: string): Promise<string> {
  const hash = createHash(type);
  const file = await Deno.open(path, { read: true });
  for await (const chunk of file.readable) hash.update(chunk);
  return hash.digest("hex");
}
