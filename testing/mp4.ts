/** Top-level MP4 box types in file order, to check `+faststart` (moov before mdat). */
export async function topLevelBoxes(path: string): Promise<string[]> {
  const file = await Deno.open(path, { read: true });
  try {
    const size = (await file.stat()).size;
    const boxes: string[] = [];
    const header = new Uint8Array(16);
    let offset = 0;
    while (offset + 8 <= size) {
      await file.seek(offset, Deno.SeekMode.Start);
      let read = 0;
      while (read < 16) {
        const n = await file.read(header.subarray(read));
        if (n === null) break;
        read += n;
      }
      const view = new DataView(header.buffer);
      let boxSize = view.getUint32(0);
      const type = new TextDecoder().decode(header.subarray(4, 8));
      if (boxSize === 1) boxSize = Number(view.getBigUint64(8));
      if (boxSize === 0) boxSize = size - offset;
      if (boxSize < 8) break;
      boxes.push(type);
      offset += boxSize;
    }
    return boxes;
  } finally {
    file.close();
  }
}
