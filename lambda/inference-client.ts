import { request } from 'undici';
import { type ImageClassification, imageClassificationSchema } from '../contracts/inference-api.ts';
import type { PredictionErrorCode } from '../contracts/prediction.ts';
import {
  isTransientNetworkError,
  isTransientStatus,
  TransientError,
  withRetries,
} from '../platform/retry.ts';

/** A verdict, or the reason the host gave for refusing the image (a permanent outcome). */
export type InferenceOutcome =
  | { readonly ok: true; readonly classification: ImageClassification }
  | { readonly ok: false; readonly code: PredictionErrorCode; readonly message: string };

export interface InferenceClient {
  /** Classifies encoded image bytes; throws TransientError when the host stayed unreachable or overloaded. */
  classify(model: string, image: Uint8Array, topK: number): Promise<InferenceOutcome>;
}

export interface InferenceClientOptions {
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly attempts: number;
  readonly baseDelayMs?: number;
}

/** Refusals the host answers with a status, mapped to what the user is told. */
const PERMANENT_STATUS_CODES: ReadonlyMap<number, PredictionErrorCode> = new Map([
  [404, 'unknown_model'],
  [413, 'image_too_large'],
  [415, 'unsupported_image'],
  [422, 'unsupported_image'],
]);

/** The inference host's image route over undici, with a per-try timeout and bounded retries. */
export function createInferenceClient(options: InferenceClientOptions): InferenceClient {
  return {
    classify(model, image, topK) {
      const url = new URL(`/v2/models/${encodeURIComponent(model)}/classify`, options.baseUrl);
      url.searchParams.set('top_k', String(topK));
      return withRetries(
        { attempts: options.attempts, baseDelayMs: options.baseDelayMs ?? 200 },
        async () => {
          let response: Awaited<ReturnType<typeof request>>;
          try {
            response = await request(url, {
              method: 'POST',
              body: image,
              headers: { 'content-type': 'application/octet-stream' },
              signal: AbortSignal.timeout(options.timeoutMs),
            });
          } catch (error) {
            if (isTransientNetworkError(error)) {
              throw new TransientError(
                `inference host unreachable at ${url.origin}: ${(error as Error).message}`,
              );
            }
            throw error;
          }
          const text = await response.body.text();
          const status = response.statusCode;
          if (status === 200) {
            const parsed = imageClassificationSchema.safeParse(JSON.parse(text));
            if (!parsed.success) {
              return {
                ok: false,
                code: 'inference_failed',
                message: 'the inference host answered in an unexpected shape',
              };
            }
            return { ok: true, classification: parsed.data };
          }
          const message = errorMessage(text) ?? `inference host answered ${status}`;
          if (isTransientStatus(status))
            throw new TransientError(`inference host answered ${status}: ${message}`);
          return { ok: false, code: PERMANENT_STATUS_CODES.get(status) ?? 'inference_failed', message };
        },
      );
    },
  };
}

function errorMessage(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    return typeof parsed.error === 'string' ? parsed.error : undefined;
  } catch {
    return undefined;
  }
}
