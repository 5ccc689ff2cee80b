import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from './errors.ts';
import { decodeFp32, encodeFp32, joinInferBody, sliceBinaryTensors, splitInferBody } from './v2-binary.ts';

const text = (s: string) => new TextEncoder().encode(s);

describe('splitInferBody', () => {
  it('treats the whole body as JSON without Inference-Header-Content-Length', () => {
    const { json, binary } = splitInferBody(text('{"a":1}'), undefined);
    expect(new TextDecoder().decode(json)).toBe('{"a":1}');
    expect(binary).toHaveLength(0);
  });

  it('splits the JSON from the binary data that follows it', () => {
    const { json, binary } = splitInferBody(text('{"a":1}xyz'), '7');
    expect(new TextDecoder().decode(json)).toBe('{"a":1}');
    expect(new TextDecoder().decode(binary)).toBe('xyz');
  });

  it('refuses a header length larger than the body, or not a number', () => {
    expect(() => splitInferBody(text('{}'), '500')).toThrow(
      new InvalidRequestError('inference-header-content-length: 500 is larger than the body (2 bytes)'),
    );
    expect(() => splitInferBody(text('{}'), '-1')).toThrow(/must be a non-negative integer, got "-1"/);
    expect(() => splitInferBody(text('{}'), 'abc')).toThrow(/inference-header-content-length/);
  });
});

describe('sliceBinaryTensors', () => {
  const binary = Uint8Array.from([1, 2, 3, 4, 5, 6]);

  it('hands each binary tensor its bytes in order, skipping JSON tensors', () => {
    const slices = sliceBinaryTensors(
      [{ parameters: { binary_data_size: 2 } }, {}, { parameters: { binary_data_size: 4 } }],
      binary,
    );
    expect(slices.map((s) => (s ? Array.from(s) : undefined))).toEqual([[1, 2], undefined, [3, 4, 5, 6]]);
  });

  it('refuses sizes that promise more bytes than follow the JSON', () => {
    expect(() =>
      sliceBinaryTensors(
        [{ parameters: { binary_data_size: 4 } }, { parameters: { binary_data_size: 4 } }],
        binary,
      ),
    ).toThrow(/^inputs\[1\]\.parameters\.binary_data_size: 4 bytes declared but only 2 bytes/);
  });

  it('refuses sizes that leave bytes over', () => {
    expect(() => sliceBinaryTensors([{ parameters: { binary_data_size: 5 } }], binary)).toThrow(
      'inputs[*].parameters.binary_data_size: the sizes add up to 5 bytes but 6 bytes of binary data follow the JSON',
    );
    expect(() => sliceBinaryTensors([{}], binary)).toThrow(/add up to 0 bytes but 6/);
  });

  it('refuses a size that is not a non-negative integer, naming outputs when asked to', () => {
    expect(() => sliceBinaryTensors([{ parameters: { binary_data_size: '6' } }], binary)).toThrow(
      'inputs[0].parameters.binary_data_size: must be a non-negative integer, got "6"',
    );
    expect(() => sliceBinaryTensors([{ parameters: { binary_data_size: 1.5 } }], binary, 'outputs')).toThrow(
      /^outputs\[0\]/,
    );
  });
});

describe('FP32 tensor data', () => {
  it('round-trips little-endian floats, from any byte offset', () => {
    const values = Float32Array.of(0, 1, -2.5, 3.4028234663852886e38, 1e-45);
    const bytes = encodeFp32(values);
    expect(Array.from(bytes.subarray(4, 8))).toEqual([0x00, 0x00, 0x80, 0x3f]); // 1.0f, little-endian
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    expect(decodeFp32(shifted.subarray(1))).toEqual(values);
  });
});

describe('joinInferBody', () => {
  it('puts the JSON first and reports its length', () => {
    const { body, jsonLength } = joinInferBody({ a: 'é' }, [Uint8Array.of(9, 9)]);
    expect(jsonLength).toBe(Buffer.byteLength('{"a":"é"}'));
    expect(body.subarray(jsonLength)).toEqual(Buffer.from([9, 9]));
    expect(splitInferBody(body, String(jsonLength)).binary).toEqual(Buffer.from([9, 9]));
  });
});
