/** MPEG-TS packets are 188 bytes and start with the sync byte 0x47. */
export const TS_PACKET_SIZE = 188;

/**
 * Cuts a part killed mid-write back to its last complete TS packet, so the data before it is
 * kept instead of confusing the merge. Returns the bytes removed (0 when already whole or not TS).
 */
export async function trimToCompletePackets(path: string): Promise<number> {
  const file = await Deno.open(path, { read: true, write: true });
  try {
    const size = (await file.stat()).size;
    const first = new Uint8Array(1);
    if (size === 0 || (await file.read(first)) !== 1 || first[0] !== 0x47) return 0;
    const excess = size % TS_PACKET_SIZE;
    if (excess > 0) await file.truncate(size - excess);
    return excess;
  } finally {
    file.close();
  }
}
