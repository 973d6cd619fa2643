/**
 * The check that decides whether a local file may be deleted: the remote file has the local
 * size and the same hash. The hash is one the remote offers without reading the file back
 * (`lsjson --hash`: sha256, sha1 or md5), else the content read back (`hashsum --download`)
 * for remotes that keep none (plain WebDAV, SFTP without shell access).
 */
import { createHash } from "node:crypto";
import { downloadHashArgs, featuresArgs, HASH_TYPES, statArgs } from "./rclone_args.ts";
import { rcloneFailure } from "./rclone_failure.ts";
import type { RunRclone } from "./run_rclone.ts";
import type { UploadSettings } from "./upload_settings.ts";

/** The check passed (`checked` says with what), or why not. */
export type Arrival =
  | { readonly ok: true; readonly checked: string }
  | { readonly ok: false; readonly permanent: boolean; readonly reason: string };

/**
 * The hash the check will compare for `remote`: the strongest of {@link HASH_TYPES} it supports,
 * null when it supports none of them (the file is then read back and hashed with sha256), or
 * undefined when rclone could not say (the check then asks for all three).
 */
export async function remoteHashType(
  run: RunRclone,
  settings: Pick<UploadSettings, "rcloneConfig" | "extraArgs">,
  remote: string,
): Promise<string | null | undefined> {
  const result = await run(featuresArgs(settings, remote));
  if (result.code !== 0) return undefined;
  try {
    const hashes = (JSON.parse(result.stdout) as { Hashes?: unknown }).Hashes;
    if (!Array.isArray(hashes)) return undefined;
    return HASH_TYPES.find((type) => hashes.includes(type)) ?? null;
  } catch {
    return undefined;
  }
}

/** What the caller already knows: the hash type to compare and the local file's hash of it. */
export interface KnownHash {
  readonly type: string | null;
  /** Started while the file was copied, so its reading overlaps the copy. */
  readonly local: Promise<string>;
}

/**
 * Compares the remote file `remote` with the local `local` of `size` bytes; with `known`, asks
 * the remote for that one hash and takes the local hash computed during the copy.
 */
export async function verifyArrival(
  run: RunRclone,
  settings: Pick<UploadSettings, "rcloneConfig" | "extraArgs">,
  local: string,
  remote: string,
  size: number,
  known?: KnownHash,
): Promise<Arrival> {
  const asked = known ? (known.type ? [known.type] : []) : HASH_TYPES;
  const stat = await run(statArgs(settings, remote, asked));
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
  const type = asked.find((name) => typeof entry.Hashes?.[name] === "string");
  const hashType = type ?? "sha256";
  // The local hash is read while the remote one is computed (or read back), or was already
  // read during the copy; a known hash of another type than the remote gave is not used.
  const local$ = known && (known.type ?? "sha256") === hashType
    ? known.local
    : hashFile(local, hashType);
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
