import { describe, expect, it } from 'vitest';
import { encodeUint8Npy, userTrainingRows } from './npy.ts';

describe("the users' training file", () => {
  it('is a NumPy .npy header padded to 64 bytes, then the rows', () => {
    const bytes = encodeUint8Npy(2, 3, new Uint8Array([1, 2, 3, 4, 5, 6]));
    expect([...bytes.subarray(0, 8)]).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    const headerLength = (bytes[8] as number) + 256 * (bytes[9] as number);
    expect((10 + headerLength) % 64).toBe(0);
    const header = Buffer.from(bytes.subarray(10, 10 + headerLength)).toString('latin1');
    expect(header).toMatch(/^\{'descr': '\|u1', 'fortran_order': False, 'shape': \(2, 3\), \} *\n$/);
    expect([...bytes.subarray(10 + headerLength)]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('puts the class index first and the pixels as bytes after it', () => {
    const input = new Float32Array(784).fill(0.5);
    input[0] = 1;
    const bytes = userTrainingRows([{ classIndex: 7, input }]);
    const data = bytes.subarray(bytes.length - 785);
    expect(data[0]).toBe(7);
    expect(data[1]).toBe(255);
    expect(data[2]).toBe(128);
  });
});
