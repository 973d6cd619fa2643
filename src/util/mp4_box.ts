/**
 * The one reader of ISO BMFF (MP4) box headers: a 32-bit size and a four-character type, a
 * 64-bit size after the type when the size is 1, and "to the end of the enclosing box" when it
 * is 0. The duration listing (util/media_duration.ts) and the fMP4 layout reader
 * (record/fmp4_fragments.ts) both walk boxes with it, so the rules live in one place.
 */

/** A box's type and extent, relative to where its header starts. */
export interface BoxHeader {
  /** Four-character type (`moov`, `moof`, `mdat`, ...). */
  readonly type: string;
  /** 8, or 16 with a 64-bit size. */
  readonly headerSize: number;
  /** Bytes of the whole box, header included. */
  readonly size: number;
}

/**
 * The header of the box starting at `bytes[at]`. `room` is how many bytes the enclosing range
 * has from `at` on (what a size of 0 means). Undefined when the header is cut off or its size is
 * smaller than the header itself; whether the box fits in `room` is the caller's call.
 */
export function readBoxHeader(bytes: Uint8Array, at: number, room: number): BoxHeader | undefined {
  if (at + 8 > bytes.byteLength) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = boxType(bytes, at + 4);
  let size = view.getUint32(at);
  let headerSize = 8;
  if (size === 1) {
    if (at + 16 > bytes.byteLength) return undefined;
    size = Number(view.getBigUint64(at + 8));
    headerSize = 16;
  } else if (size === 0) {
    size = room;
  }
  return size < headerSize ? undefined : { type, headerSize, size };
}

/** The four characters at `bytes[at]` as a box or handler type. */
export function boxType(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(
    bytes[at] ?? 0,
    bytes[at + 1] ?? 0,
    bytes[at + 2] ?? 0,
    bytes[at + 3] ?? 0,
  );
}

/** A box of `type` (four characters) holding `parts` one after the other (32-bit size). */
export function mp4Box(type: string, ...parts: Uint8Array[]): Uint8Array {
  const size = 8 + parts.reduce((sum, part) => sum + part.byteLength, 0);
  const bytes = new Uint8Array(size);
  new DataView(bytes.buffer).setUint32(0, size);
  for (let i = 0; i < 4; i++) bytes[4 + i] = type.charCodeAt(i);
  let at = 8;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.byteLength;
  }
  return bytes;
}
