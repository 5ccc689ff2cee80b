import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The capability an uploader gets with its upload: HMAC of the uploadId under the gateway's secret.
 * Stateless, so any gateway instance (and a restarted one) can check it; unguessable without the secret.
 */
export function issueUploadToken(secret: string, uploadId: string): string {
  return createHmac('sha256', secret).update(`upload:${uploadId}`).digest('base64url');
}

/** True when `token` is the one issued for `uploadId`; constant-time. */
export function verifyUploadToken(secret: string, uploadId: string, token: string): boolean {
  const expected = Buffer.from(issueUploadToken(secret, uploadId));
  const given = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
