import { describe, expect, it } from 'vitest';
import { RESULT_SIGNATURE_TOLERANCE_SECONDS, signResult, verifyResultSignature } from './result-signature.ts';

const SECRET = 'a-secret-that-is-long-enough-for-hmac-0123456789';
const BODY = '{"type":"error","error":{"uploadId":"x","code":"unsupported_image","message":"m"}}';
const NOW = 1_750_000_000;

describe('result signatures', () => {
  it('verifies a body signed with the same secret', async () => {
    const header = await signResult(BODY, SECRET, NOW);
    expect(header).toMatch(/^t=1750000000,v1=[0-9a-f]{64}$/);
    expect(await verifyResultSignature(BODY, header, SECRET, NOW + 10)).toEqual({ ok: true });
  });

  it('matches an independent HMAC-SHA256 computation', async () => {
    const { createHmac } = await import('node:crypto');
    const expected = createHmac('sha256', SECRET).update(`${NOW}.${BODY}`).digest('hex');
    expect(await signResult(BODY, SECRET, NOW)).toBe(`t=${NOW},v1=${expected}`);
  });

  it('rejects a changed body, another secret, and a moved timestamp', async () => {
    const header = await signResult(BODY, SECRET, NOW);
    expect(await verifyResultSignature(`${BODY} `, header, SECRET, NOW)).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    expect(await verifyResultSignature(BODY, header, `${SECRET}x`, NOW)).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    const moved = header.replace(`t=${NOW}`, `t=${NOW + 1}`);
    expect(await verifyResultSignature(BODY, moved, SECRET, NOW)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('rejects a signature older or newer than the tolerance', async () => {
    const header = await signResult(BODY, SECRET, NOW);
    const late = NOW + RESULT_SIGNATURE_TOLERANCE_SECONDS + 1;
    expect(await verifyResultSignature(BODY, header, SECRET, late)).toEqual({ ok: false, reason: 'stale' });
    const early = NOW - RESULT_SIGNATURE_TOLERANCE_SECONDS - 1;
    expect(await verifyResultSignature(BODY, header, SECRET, early)).toEqual({ ok: false, reason: 'stale' });
  });

  it('rejects a missing or malformed header', async () => {
    expect(await verifyResultSignature(BODY, undefined, SECRET, NOW)).toEqual({
      ok: false,
      reason: 'missing',
    });
    expect(await verifyResultSignature(BODY, 'sha256=abc', SECRET, NOW)).toEqual({
      ok: false,
      reason: 'malformed',
    });
    expect(await verifyResultSignature(BODY, `t=${NOW},v1=XYZ`, SECRET, NOW)).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });
});

describe('result signatures during a key rotation', () => {
  const OLD = 'o'.repeat(40);
  const NEW = 'n'.repeat(40);
  const NOW_S = 1_760_000_000;

  it('accepts results signed with the previous key while the rotation lasts, and signs with the current one', async () => {
    const rotating = { current: NEW, previous: OLD };
    const fromWarmLambda = await signResult('{"a":1}', OLD, NOW_S);
    const fromNewLambda = await signResult('{"a":1}', rotating, NOW_S);
    expect(fromNewLambda).toBe(await signResult('{"a":1}', NEW, NOW_S));
    expect(await verifyResultSignature('{"a":1}', fromWarmLambda, rotating, NOW_S)).toEqual({ ok: true });
    expect(await verifyResultSignature('{"a":1}', fromNewLambda, rotating, NOW_S)).toEqual({ ok: true });
  });

  it('refuses the old key once the rotation is over', async () => {
    const fromWarmLambda = await signResult('{"a":1}', OLD, NOW_S);
    expect(await verifyResultSignature('{"a":1}', fromWarmLambda, { current: NEW }, NOW_S)).toEqual({
      ok: false,
      reason: 'mismatch',
    });
  });
});
