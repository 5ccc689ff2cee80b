/**
 * A 2-D uint8 array in NumPy's `.npy` format (version 1.0): what `np.load` reads without pickle.
 * The header is padded so the data starts at a multiple of 64 bytes, as NumPy writes it.
 */
export function encodeUint8Npy(rows: number, columns: number, data: Uint8Array): Uint8Array {
  if (data.length !== rows * columns) {
    throw new Error(`encodeUint8Npy: ${data.length} bytes is not ${rows} × ${columns}`);
  }
  const dict = `{'descr': '|u1', 'fortran_order': False, 'shape': (${rows}, ${columns}), }`;
  const preamble = 10; // magic (6) + version (2) + header length (2)
  const total = Math.ceil((preamble + dict.length + 1) / 64) * 64;
  const header = `${dict}${' '.repeat(total - preamble - dict.length - 1)}\n`;
  const out = new Uint8Array(total + data.length);
  out.set([0x93, ...Buffer.from('NUMPY'), 1, 0], 0);
  out[8] = header.length & 0xff;
  out[9] = header.length >> 8;
  out.set(Buffer.from(header, 'latin1'), preamble);
  out.set(data, total);
  return out;
}

/** The training file of user_data.py: one row per item, the class index then 784 pixels as bytes. */
export function userTrainingRows(items: readonly { classIndex: number; input: Float32Array }[]): Uint8Array {
  const width = 785;
  const data = new Uint8Array(items.length * width);
  items.forEach((item, i) => {
    if (item.input.length !== 784) throw new Error(`an input has ${item.input.length} values, not 784`);
    data[i * width] = item.classIndex;
    for (let p = 0; p < 784; p++) {
      data[i * width + 1 + p] = Math.round(Math.min(1, Math.max(0, item.input[p] as number)) * 255);
    }
  });
  return encodeUint8Npy(items.length, width, data);
}
