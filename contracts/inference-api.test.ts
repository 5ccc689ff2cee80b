import { describe, expect, it } from 'vitest';
import {
  decodeBytesElements,
  encodeBytesElements,
  formatClassification,
  parseClassification,
} from './inference-api.ts';

const bytes = (...values: number[]) => Uint8Array.from(values);

describe('BYTES tensor elements in binary', () => {
  it('prefixes each element with its 4-byte little-endian length', () => {
    const encoded = encodeBytesElements([bytes(0xaa, 0xbb, 0xcc), bytes(), bytes(0x01)]);
    expect(Array.from(encoded)).toEqual([3, 0, 0, 0, 0xaa, 0xbb, 0xcc, 0, 0, 0, 0, 1, 0, 0, 0, 0x01]);
  });

  it('decodes what it encodes, including an element longer than 255 bytes', () => {
    const long = new Uint8Array(70_000).map((_, i) => i % 251);
    const decoded = decodeBytesElements(encodeBytesElements([long, bytes(7, 8)]));
    expect(decoded.map((e) => e.length)).toEqual([70_000, 2]);
    expect(decoded[0]?.every((v, i) => v === long[i])).toBe(true);
    expect(Array.from(decoded[1] ?? [])).toEqual([7, 8]);
  });

  it('decodes elements that start at an odd offset of a larger buffer', () => {
    const framed = new Uint8Array(1 + 4 + 2);
    framed.set(encodeBytesElements([bytes(5, 6)]), 1);
    expect(decodeBytesElements(framed.subarray(1)).map((e) => Array.from(e))).toEqual([[5, 6]]);
  });

  it('says which element is cut short', () => {
    const whole = encodeBytesElements([bytes(1, 2), bytes(3, 4, 5, 6)]);
    expect(() => decodeBytesElements(whole.subarray(0, whole.length - 1))).toThrow(
      'element 1 declares 4 bytes but only 3 remain',
    );
    expect(() => decodeBytesElements(whole.subarray(0, 8))).toThrow(
      'element 1 has a 2-byte length prefix; it needs 4 bytes',
    );
  });

  it('decodes no bytes as no elements', () => {
    expect(decodeBytesElements(new Uint8Array())).toEqual([]);
  });
});

describe('classification strings', () => {
  it('formats value:index:label and value:index', () => {
    expect(formatClassification(0.75, 3, 'cat')).toBe('0.750000:3:cat');
    expect(formatClassification(1.5, 0)).toBe('1.500000:0');
    expect(formatClassification(0.98172345, 7, '7')).toBe('0.981723:7:7');
  });

  it('parses them back, keeping colons inside the label', () => {
    expect(parseClassification('0.9817:7:7')).toEqual({ value: 0.9817, index: 7, label: '7' });
    expect(parseClassification('3.3:1')).toEqual({ value: 3.3, index: 1, label: undefined });
    expect(parseClassification('1e-7:2:a:b')).toEqual({ value: 1e-7, index: 2, label: 'a:b' });
    expect(parseClassification('0.5:0:T-shirt/top')).toMatchObject({ label: 'T-shirt/top' });
  });

  it('refuses what is not a classification', () => {
    expect(() => parseClassification('seven')).toThrow(/not a classification/);
    expect(() => parseClassification('x:1:a')).toThrow(/not a classification/);
    expect(() => parseClassification('0.5:-1:a')).toThrow(/not a classification/);
  });
});
