import type { HmacKeys } from '../contracts/hmac-keys.ts';
import { type UploadResult, uploadResultSchema } from '../contracts/results.ts';
import { describeIssue } from '../contracts/zod-issues.ts';
import { HttpError } from '../platform/http-error.ts';
import { verifyResultSignature } from '../platform/result-signature.ts';
import type { ResultRelay } from './result-relay.ts';
import type { StoreOutcome } from './result-store.ts';

/**
 * Accepts a result from the Lambda: signature and timestamp first (a forged or replayed-late body is
 * refused before it is even parsed), then the schema, then the relay, which drops duplicates and
 * announces the rest to every gateway. A cache that cannot be reached is a 503: the Lambda retries.
 */
export async function ingestResult(
  body: Buffer,
  signatureHeader: string,
  secret: string | HmacKeys,
  relay: ResultRelay,
  nowSeconds: number,
): Promise<{ result: UploadResult; outcome: StoreOutcome }> {
  const text = body.toString('utf8');
  const check = await verifyResultSignature(text, signatureHeader || undefined, secret, nowSeconds);
  if (!check.ok) throw new HttpError(401, `signature_${check.reason}`, `result signature ${check.reason}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'invalid_json', 'the result is not valid JSON');
  }
  const parsed = uploadResultSchema.safeParse(json);
  if (!parsed.success) {
    throw new HttpError(400, 'invalid_result', describeIssue(parsed.error, 'result'));
  }
  let outcome: StoreOutcome;
  try {
    outcome = await relay.accept(parsed.data);
  } catch (error) {
    throw new HttpError(
      503,
      'results_unavailable',
      `the result could not be stored (${error instanceof Error ? error.message : String(error)}); retry`,
      { 'retry-after': '1' },
    );
  }
  return { result: parsed.data, outcome };
}
