import { describe, expect, it } from 'vitest';
import { issueUploadToken, verifyUploadToken } from './upload-token.ts';

const SECRET = 'gateway-secret-long-enough-for-the-test-0123';
const ID = '3f1c2b4a-9d8e-4f7a-8b6c-5d4e3f2a1b0c';

describe('upload tokens', () => {
  it('issues the HMAC-SHA256 of "upload:<uploadId>" under the secret, base64url', () => {
    // Computed apart: printf 'upload:<ID>' | openssl dgst -sha256 -hmac <SECRET> -binary | base64url
    expect(issueUploadToken(SECRET, ID)).toBe('MA6fknfJok6B3Fd0eaufTHfUCObDy9Clf2bsA_P5Pzw');
  });

  it('verifies the token issued for an upload', () => {
    expect(verifyUploadToken(SECRET, ID, 'MA6fknfJok6B3Fd0eaufTHfUCObDy9Clf2bsA_P5Pzw')).toBe(true);
  });

  it('refuses the token of another upload, another secret, or an altered token', () => {
    const token = issueUploadToken(SECRET, ID);
    expect(verifyUploadToken(SECRET, ID.replace('3f', '4f'), token)).toBe(false);
    expect(verifyUploadToken(`${SECRET}!`, ID, token)).toBe(false);
    expect(verifyUploadToken(SECRET, ID, `${token.slice(0, -1)}x`)).toBe(false);
    expect(verifyUploadToken(SECRET, ID, `x${token.slice(1)}`)).toBe(false);
    expect(verifyUploadToken(SECRET, ID, `${token}x`)).toBe(false);
    expect(verifyUploadToken(SECRET, ID, '')).toBe(false);
  });

  it('is URL-safe and carries 256 bits', () => {
    expect(issueUploadToken(SECRET, ID)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe('upload tokens during a key rotation', () => {
  const OLD = 'o'.repeat(40);
  const NEW = 'n'.repeat(40);
  const UPLOAD = '3f2a9c1e-0000-4000-8000-000000000001';

  it('keeps tokens issued before the rotation valid and issues new ones with the current key', () => {
    const rotating = { current: NEW, previous: OLD };
    const before = issueUploadToken(OLD, UPLOAD);
    const after = issueUploadToken(rotating, UPLOAD);
    expect(after).toBe(issueUploadToken(NEW, UPLOAD));
    expect(verifyUploadToken(rotating, UPLOAD, before)).toBe(true);
    expect(verifyUploadToken(rotating, UPLOAD, after)).toBe(true);
  });

  it('refuses a token of the retired key, and one for another upload', () => {
    expect(verifyUploadToken({ current: NEW }, UPLOAD, issueUploadToken(OLD, UPLOAD))).toBe(false);
    expect(verifyUploadToken({ current: NEW, previous: OLD }, UPLOAD, issueUploadToken(OLD, 'other'))).toBe(
      false,
    );
  });
});
