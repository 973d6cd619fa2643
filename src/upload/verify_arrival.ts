/**
 * The check that decides whether a local file may be deleted: the remote file has the local
 * size and the same hash. The hash comes, cheapest first, from rclone copyto's own check of the
 * copy (its source hash against the remote copy's, copy_check.ts), else from the remote
 * (`lsjson --hash`: md5, sha1 or sha256), else from the content read back
 * (`hashsum --download`) for remotes that keep none (plain WebDAV, SFTP without shell access).
 * In each case it is compared with our own hash of the local file.
 */
import { createHash } from "node:crypto";
import type { CopyCheck } from "./copy_check.ts";
import {
  downloadHashArgs,
  featuresArgs,
  HASH_TYPES,
  READ_BACK_HASH,
  statArgs,
} from "./rclone_args.ts";
import { rcloneFailure } from "./rclone_failure.ts";
import type { RunRclone } from "./run_rclone.ts";
import type { UploadSettings } from "./upload_settings.ts";

type RcloneSettings = Pick<UploadSettings, "rcloneConfig" | "extraArgs">;
type Failed = { readonly ok: false; readonly permanent: boolean; readonly reason: string };

/** Where the remote copy's hash came from: rclone copyto's check, a listing, or a read-back. */
export type CheckedBy = "copy" | "listing" | "read-back";

/** The check passed (`checked` says with what hash, `by` where the remote's came from), or why not. */
export type Arrival =
  | { readonly ok: true; readonly checked: string; readonly by: CheckedBy }
  | Failed;

/**
 * The hash the check will compare for `remote`: the first of {@link HASH_TYPES} it supports (the
 * one rclone copyto checks itself), null when it supports none of them (the file is then read
 * back and hashed with {@link READ_BACK_HASH}), or undefined when rclone could not say (the check
 * then asks for all three).
 */
export async function remoteHashType(
  run: RunRclone,
  settings: RcloneSettings,
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
  /** rclone copyto's own check of the copy (copy_check.ts), when it logged one. */
  readonly copied?: CopyCheck | undefined;
}

/**
 * Compares the remote file `remote` with the local `local` of `size` bytes; with `known`, asks
 * the remote for that one hash (none when the copy checked it) and takes the local hash computed
 * during the copy.
 */
export async function verifyArrival(
  run: RunRclone,
  settings: RcloneSettings,
  local: string,
  remote: string,
  size: number,
  known?: KnownHash,
): Promise<Arrival> {
  const copied = known?.copied && known.copied.type === known.type ? known.copied : undefined;
  const asked = copied ? [] : known ? (known.type ? [known.type] : []) : HASH_TYPES;
  const entry = await statRemote(run, settings, remote, asked);
  if ("ok" in entry) return entry;
  if (entry.size !== size) {
    return {
      ok: false,
      permanent: false,
      reason: `Size differs after the copy: ${entry.size} at "${remote}", ${size} here`,
    };
  }
  const listed = asked.find((name) => entry.hashes[name] !== undefined);
  const hashType = copied?.type ?? listed ?? known?.type ?? READ_BACK_HASH;
  // The local hash is read while the remote one is computed (or read back), or was already
  // read during the copy; a known hash of another type than the remote gave is not used.
  const local$ = known && (known.type ?? READ_BACK_HASH) === hashType
    ? known.local
    : hashFile(local, hashType);
  const by: CheckedBy = copied ? "copy" : listed ? "listing" : "read-back";
  let remoteHash = copied?.hash ?? (listed ? entry.hashes[listed] : undefined);
  if (by === "read-back") {
    const read = await run(downloadHashArgs(settings, remote, hashType));
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
  return { ok: true, checked: `${hashType}:${localHash}`, by };
}

/** `lsjson --stat` of `remote`: its size and the hashes of `hashTypes` it gave (lower case). */
async function statRemote(
  run: RunRclone,
  settings: RcloneSettings,
  remote: string,
  hashTypes: readonly string[],
): Promise<{ size: unknown; hashes: Record<string, string> } | Failed> {
  const stat = await run(statArgs(settings, remote, hashTypes));
  if (stat.code !== 0) return { ok: false, ...rcloneFailure(stat.stderr, stat.code) };
  try {
    const entry = JSON.parse(stat.stdout) as { Size?: unknown; Hashes?: Record<string, unknown> };
    const hashes: Record<string, string> = {};
    for (const [type, value] of Object.entries(entry.Hashes ?? {})) {
      if (typeof value === "string" && value !== "") hashes[type] = value.toLowerCase();
    }
    return { size: entry.Size, hashes };
  } catch {
    return {
      ok: false,
      permanent: false,
      reason: `Unreadable answer of rclone lsjson for "${remote}"`,
    };
  }
}

/** `type` hash of a file, read in chunks so a recording of any size fits in memory. */
export async function hashFile(path: string, type: string): Promise<string> {
  const hash = createHash(type);
  const file = await Deno.open(path, { read: true });
  for await (const chunk of file.readable) hash.update(chunk);
  return hash.digest("hex");
}
