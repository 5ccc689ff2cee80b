import { createHmac, timingSafeEqual } from 'node:crypto';
import { acceptedKeys, type HmacKeys, signingKey } from '../contracts/hmac-keys.ts';

/**
 * Signs and verifies the Lambda → gateway result body: HMAC-SHA256 over `<unix seconds>.<body>`,
 * sent as `x-result-signature: t=<unix seconds>,v1=<hex>`. The timestamp bounds replays; the
 * gateway also drops a result it has already delivered. node:crypto (only Node signs and verifies;
 * no browser does), with its constant-time comparison.
 */
export const RESULT_SIGNATURE_HEADER = 'x-result-signature';

/** How far a signature's timestamp may be from the verifier's clock. */
export const RESULT_SIGNATURE_TOLERANCE_SECONDS = 300;

function hmac(secret: string, message: string): Buffer {
  return createHmac('sha256', secret).update(message).digest();
}

/** The header value that authenticates `body` at time `nowSeconds`, signed with the current key. */
export function signResult(body: string, secret: string | HmacKeys, nowSeconds: number): string {
  const t = Math.floor(nowSeconds);
  return `t=${t},v1=${hmac(signingKey(secret), `${t}.${body}`).toString('hex')}`;
}

export type SignatureCheck =
  | { ok: true }
  | { ok: false; reason: 'missing' | 'malformed' | 'stale' | 'mismatch' };

/**
 * Checks `header` against `body` under each accepted key (the current one and, during a rotation, the
 * previous one); constant-time comparison, bounded clock skew.
 */
export function verifyResultSignature(
  body: string,
  header: string | undefined,
  secret: string | HmacKeys,
  nowSeconds: number,
): SignatureCheck {
  if (!header) return { ok: false, reason: 'missing' };
  const match = /^t=(\d{1,12}),v1=([0-9a-f]{64})$/.exec(header.trim());
  if (!match) return { ok: false, reason: 'malformed' };
  const t = Number(match[1]);
  if (Math.abs(nowSeconds - t) > RESULT_SIGNATURE_TOLERANCE_SECONDS) return { ok: false, reason: 'stale' };
  const given = Buffer.from(match[2] ?? '', 'hex');
  for (const key of acceptedKeys(secret)) {
    if (timingSafeEqual(hmac(key, `${t}.${body}`), given)) return { ok: true };
  }
  return { ok: false, reason: 'mismatch' };
}
