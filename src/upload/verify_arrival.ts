/**
 * The check that decides whether a local file may be deleted: the remote file has the local
 * size and the same hash. The hash comes, cheapest first, from rclone copyto's own check of the
 * copy (its source hash against the remote copy's, copy_check.ts), else from the remote
 * (`lsjson --hash`: md5, sha1 or sha256), else from the content read back
 * (`hashsum --download`) for remotes that keep none (plain WebDAV, SFTP without shell access).
 * In each case it is compared with our own hash of the local file.
 */
import type { CopyCheck } from "./copy_check.ts";
import {
  downloadHashArgs,
  featuresArgs,
  HASH_TYPES,
  localHashArgs,
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

/** What the caller already knows about the copy and the remote. */
export interface CopyFacts {
  /** rclone copyto's own check of the copy (copy_check.ts), when it logged one. */
  readonly copied?: CopyCheck | undefined;
  /**
   * The hash the remote supports ({@link remoteHashType}): null for none, absent when unknown
   * (then all of {@link HASH_TYPES} are asked for). Not needed when `copied` is given.
   */
  readonly hashType?: string | null;
}

/**
 * Compares the remote file `remote` with the local `local` of `size` bytes. The size always
 * comes from a listing of the remote. The hash: when rclone copyto checked the copy itself
 * (`copied`: the hash of the bytes it read from `local` equal to the remote copy's), that check;
 * else the remote's hash from the listing, or the remote copy read back, against our own hash
 * of `local` (read while the remote's is computed).
 */
export async function verifyArrival(
  run: RunRclone,
  settings: RcloneSettings,
  local: string,
  remote: string,
  size: number,
  facts: CopyFacts = {},
): Promise<Arrival> {
  const { copied, hashType: supported } = facts;
  const asked = copied ? [] : supported === undefined ? HASH_TYPES : supported ? [supported] : [];
  const entry = await statRemote(run, settings, remote, asked);
  if ("ok" in entry) return entry;
  if (entry.size !== size) {
    return {
      ok: false,
      permanent: false,
      reason: `Size differs after the copy: ${entry.size} at "${remote}", ${size} here`,
    };
  }
  if (copied) return { ok: true, checked: `${copied.type}:${copied.hash}`, by: "copy" };
  const listed = asked.find((name) => entry.hashes[name] !== undefined);
  // A read-back may use any hash: the cheapest.
  const hashType = listed ?? READ_BACK_HASH;
  const local$ = hashOf(run, localHashArgs(settings, local, hashType));
  let remoteHash = listed ? entry.hashes[listed] : undefined;
  if (!listed) {
    const read = await hashOf(run, downloadHashArgs(settings, remote, hashType));
    if (typeof read !== "string") {
      await local$.catch(() => undefined);
      return read;
    }
    remoteHash = read;
  }
  const localHash = await local$;
  if (typeof localHash !== "string") return localHash;
  if (remoteHash !== localHash) {
    return {
      ok: false,
      permanent: false,
      reason: `Hash differs after the copy (${hashType}) for "${remote}"`,
    };
  }
  return { ok: true, checked: `${hashType}:${localHash}`, by: listed ? "listing" : "read-back" };
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

/** The hash an `rclone hashsum` run printed (lower case), or why it failed. */
async function hashOf(run: RunRclone, args: string[]): Promise<string | Failed> {
  const result = await run(args);
  if (result.code !== 0) return { ok: false, ...rcloneFailure(result.stderr, result.code) };
  const hash = result.stdout.trim().split(/\s+/)[0]?.toLowerCase();
  return hash || { ok: false, permanent: false, reason: `Unreadable answer of rclone ${args[0]}` };
}
