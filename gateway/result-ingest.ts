import type { HmacKeys } from '../contracts/hmac-keys.ts';
import { type UploadResult, uploadResultSchema } from '../contracts/results.ts';
import { HttpError } from '../platform/http-error.ts';
import { verifyResultSignature } from '../platform/result-signature.ts';
import type { ResultStore, StoreOutcome } from './result-store.ts';

/**
 * Accepts a result from the Lambda: signature and timestamp first (a forged or replayed-late body is
 * refused before it is even parsed), then the schema, then the store, which drops duplicates.
 */
export async function ingestResult(
  body: Buffer,
  signatureHeader: string,
  secret: string | HmacKeys,
  store: ResultStore,
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
    const issue = parsed.error.issues[0];
    throw new HttpError(400, 'invalid_result', `${issue?.path.join('.') || 'result'}: ${issue?.message}`);
  }
  return { result: parsed.data, outcome: store.put(parsed.data) };
}
