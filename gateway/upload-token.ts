import { createHmac, timingSafeEqual } from 'node:crypto';
import { acceptedKeys, type HmacKeys, signingKey } from '../contracts/hmac-keys.ts';

/**
 * The capability an uploader gets with its upload: HMAC of the uploadId under the gateway's secret.
 * Stateless, so any gateway instance (and a restarted one) can check it; unguessable without the secret.
 */
export function issueUploadToken(secret: string | HmacKeys, uploadId: string): string {
  return createHmac('sha256', signingKey(secret)).update(`upload:${uploadId}`).digest('base64url');
}

/**
 * True when `token` was issued for `uploadId` under an accepted key (the current one or, during a
 * rotation, the previous one, so tokens handed out before the rotation keep working); constant-time.
 */
export function verifyUploadToken(secret: string | HmacKeys, uploadId: string, token: string): boolean {
  const given = Buffer.from(token);
  return acceptedKeys(secret).some((key) => {
    const expected = Buffer.from(issueUploadToken(key, uploadId));
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
