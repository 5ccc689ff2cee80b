import { describe, expect, it } from 'vitest';
import { issueUploadToken, verifyUploadToken } from './upload-token.ts';

const SECRET = 'gateway-secret-long-enough-for-the-test-0123';
const ID = '3f1c2b4a-9d8e-4f7a-8b6c-5d4e3f2a1b0c';

describe('upload tokens', () => {
  it('verifies the token issued for an upload', () => {
    expect(verifyUploadToken(SECRET, ID, issueUploadToken(SECRET, ID))).toBe(true);
  });

  it('refuses the token of another upload, another secret, or an altered token', () => {
    const token = issueUploadToken(SECRET, ID);
    expect(verifyUploadToken(SECRET, ID.replace('3f', '4f'), token)).toBe(false);
    expect(verifyUploadToken(`${SECRET}!`, ID, token)).toBe(false);
    expect(verifyUploadToken(SECRET, ID, `${token.slice(0, -1)}A`)).toBe(token.endsWith('A'));
    expect(verifyUploadToken(SECRET, ID, '')).toBe(false);
  });

  it('is URL-safe and carries 256 bits', () => {
    expect(issueUploadToken(SECRET, ID)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
