/**
 * Signs and verifies the Lambda → gateway result body: HMAC-SHA256 over `<unix seconds>.<body>`,
 * sent as `x-result-signature: t=<unix seconds>,v1=<hex>`. The timestamp bounds replays; the
 * gateway also drops a result it has already delivered. Web Crypto, so it runs in Node and browsers.
 */
export const RESULT_SIGNATURE_HEADER = 'x-result-signature';

/** How far a signature's timestamp may be from the verifier's clock. */
export const RESULT_SIGNATURE_TOLERANCE_SECONDS = 300;

import { acceptedKeys, type HmacKeys, signingKey } from './hmac-keys.ts';

const encoder = new TextEncoder();

/**
 * Imported keys by secret: importing costs more than signing a small body, and it happened for every
 * result on both sides (seen in `bench:e2e` profiles). Few secrets ever exist (the current and, during
 * a rotation, the previous one), so the map stays tiny.
 */
const importedKeys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = importedKeys.get(secret);
  if (!key) {
    if (importedKeys.size >= 8) importedKeys.clear();
    key = crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
    ]);
    importedKeys.set(secret, key);
    key.catch(() => importedKeys.delete(secret));
  }
  return key;
}

async function hmacHex(secret: string, message: string): Promise<string> {
  const key = await hmacKey(secret);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(message)));
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The header value that authenticates `body` at time `nowSeconds`, signed with the current key. */
export async function signResult(
  body: string,
  secret: string | HmacKeys,
  nowSeconds: number,
): Promise<string> {
  const t = Math.floor(nowSeconds);
  return `t=${t},v1=${await hmacHex(signingKey(secret), `${t}.${body}`)}`;
}

export type SignatureCheck =
  | { ok: true }
  | { ok: false; reason: 'missing' | 'malformed' | 'stale' | 'mismatch' };

/**
 * Checks `header` against `body` under each accepted key (the current one and, during a rotation, the
 * previous one); constant-time comparison, bounded clock skew.
 */
export async function verifyResultSignature(
  body: string,
  header: string | undefined,
  secret: string | HmacKeys,
  nowSeconds: number,
): Promise<SignatureCheck> {
  if (!header) return { ok: false, reason: 'missing' };
  const match = /^t=(\d{1,12}),v1=([0-9a-f]{64})$/.exec(header.trim());
  if (!match) return { ok: false, reason: 'malformed' };
  const t = Number(match[1]);
  if (Math.abs(nowSeconds - t) > RESULT_SIGNATURE_TOLERANCE_SECONDS) return { ok: false, reason: 'stale' };
  for (const key of acceptedKeys(secret)) {
    if (timingSafeEqualHex(await hmacHex(key, `${t}.${body}`), match[2] ?? '')) return { ok: true };
  }
  return { ok: false, reason: 'mismatch' };
}

function timingSafeEqualHex(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
