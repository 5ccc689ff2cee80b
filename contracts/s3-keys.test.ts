import { describe, expect, it } from 'vitest';
import {
  decodeEventKey,
  encodeEventKey,
  isUploadId,
  labelsKey,
  predictionKey,
  uploadIdFromKey,
  uploadKey,
} from './s3-keys.ts';

const ID = '3f1c2b4a-9d8e-4f7a-8b6c-5d4e3f2a1b0c';

describe('S3 event key encoding', () => {
  it.each([
    ['uploads/red flower.jpg', 'uploads/red+flower.jpg'],
    ['uploads/a+b.jpg', 'uploads/a%2Bb.jpg'],
    ['uploads/100% ü.png', 'uploads/100%25+%C3%BC.png'],
    ['uploads/dt=2024-01-01/x:y.png', 'uploads/dt%3D2024-01-01/x%3Ay.png'],
    ['uploads/(1) copy.jpg', 'uploads/%281%29+copy.jpg'],
    ['uploads/日本.png', 'uploads/%E6%97%A5%E6%9C%AC.png'],
    ['uploads/emoji-😀.png', 'uploads/emoji-%F0%9F%98%80.png'],
  ])('encodes %s as S3 does (%s) and decodes it back', (key, encoded) => {
    expect(encodeEventKey(key)).toBe(encoded);
    expect(decodeEventKey(encoded)).toBe(key);
  });

  it('keeps slashes and the characters form encoding leaves alone', () => {
    expect(encodeEventKey('a/b/c.d-e_f*g')).toBe('a/b/c.d-e_f*g');
  });

  it('round-trips arbitrary keys', () => {
    const alphabet = [
      'a',
      'Z',
      '0',
      ' ',
      '+',
      '%',
      '/',
      '=',
      '&',
      '?',
      '#',
      'é',
      'ß',
      '中',
      '🙂',
      '~',
      "'",
      '"',
    ];
    for (let n = 0; n < 500; n++) {
      let key = '';
      for (let i = 0; i < 12; i++) key += alphabet[(n * 7 + i * 13 + ((n * i) % 5)) % alphabet.length];
      expect(decodeEventKey(encodeEventKey(key))).toBe(key);
    }
  });

  it('refuses a malformed escape instead of guessing', () => {
    expect(() => decodeEventKey('uploads/%E0%A4%A')).toThrow(URIError);
  });
});

describe('key scheme', () => {
  it('maps uploads/<uploadId> both ways and nothing else', () => {
    expect(uploadKey(ID)).toBe(`uploads/${ID}`);
    expect(uploadIdFromKey(`uploads/${ID}`)).toBe(ID);
    expect(uploadIdFromKey(`predictions/${ID}`)).toBeNull();
    expect(uploadIdFromKey(`uploads/${ID}.jpg`)).toBeNull();
    expect(uploadIdFromKey(`uploads/${ID.toUpperCase()}`)).toBeNull();
    expect(uploadIdFromKey('uploads/../etc/passwd')).toBeNull();
  });

  it('accepts only version 4 UUIDs as upload ids', () => {
    expect(isUploadId(ID)).toBe(true);
    expect(isUploadId('3f1c2b4a-9d8e-1f7a-8b6c-5d4e3f2a1b0c')).toBe(false);
    expect(isUploadId('not-a-uuid')).toBe(false);
  });

  it('partitions records by UTC day', () => {
    const at = new Date('2024-03-09T23:59:59.999-05:00');
    expect(predictionKey(ID, at)).toBe(`predictions/dt=2024-03-10/${ID}.json`);
    expect(labelsKey('batch-1', at)).toBe('labels/dt=2024-03-10/batch-1.jsonl');
  });
});
