import {
  encodeBytesElements,
  IMAGE_INPUT_NAME,
  type ImageClassification,
  INFERENCE_HEADER_CONTENT_LENGTH,
  imageClassificationSchema,
  parseClassification,
  type V2InferRequest,
  v2InferResponseSchema,
} from '../contracts/inference-api.ts';
import type { PredictionErrorCode } from '../contracts/prediction.ts';
import { postOnce } from '../platform/post-once.ts';
import { isTransientStatus, TransientError, tryTimeout, withRetries } from '../platform/retry.ts';

/** A verdict, or the reason the host gave for refusing the image (a permanent outcome). */
export type InferenceOutcome =
  | { readonly ok: true; readonly classification: ImageClassification }
  | { readonly ok: false; readonly code: PredictionErrorCode; readonly message: string };

export interface InferenceClient {
  /**
   * Classifies encoded image bytes; throws TransientError when the host stayed unreachable or
   * overloaded. No try starts after `deadline` (epoch ms), and none runs past it.
   */
  classify(model: string, image: Uint8Array, topK: number, deadline?: number): Promise<InferenceOutcome>;
}

export interface InferenceClientOptions {
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly attempts: number;
  readonly baseDelayMs?: number;
}

/** The output every model in the repository exposes (training/train.py names it so). */
export const PROBABILITIES_OUTPUT = 'probabilities';

/** Refusals the host answers with a status, mapped to what the user is told. */
const PERMANENT_STATUS_CODES: ReadonlyMap<number, PredictionErrorCode> = new Map([
  [404, 'unknown_model'],
  [413, 'image_too_large'],
  [415, 'unsupported_image'],
  [422, 'unsupported_image'],
]);

/**
 * The Open Inference Protocol request for one upload: the image as a BYTES `image` input in binary
 * (binary tensor data extension), and the top `topK` classes of `probabilities` as `value:index:label`
 * strings (classification extension).
 */
export function imageInferRequest(image: Uint8Array, topK: number): { body: Buffer; headerLength: number } {
  const tensor = encodeBytesElements([image]);
  const header: V2InferRequest = {
    inputs: [
      {
        name: IMAGE_INPUT_NAME,
        shape: [1],
        datatype: 'BYTES',
        parameters: { binary_data_size: tensor.length },
      },
    ],
    outputs: [{ name: PROBABILITIES_OUTPUT, parameters: { classification: topK } }],
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  return { body: Buffer.concat([json, tensor]), headerLength: json.length };
}

/** Reads the verdict out of an infer response; undefined when it is not the shape asked for. */
export function classificationFromResponse(body: unknown): ImageClassification | undefined {
  const parsed = v2InferResponseSchema.safeParse(body);
  if (!parsed.success) return undefined;
  const output = parsed.data.outputs.find((o) => o.name === PROBABILITIES_OUTPUT);
  if (output?.datatype !== 'BYTES' || !Array.isArray(output.data)) return undefined;
  try {
    const topK = output.data.map((entry) => {
      const { value, index, label } = parseClassification(String(entry));
      return { label: label ?? String(index), confidence: Math.min(1, Math.max(0, value)) };
    });
    const best = topK[0];
    const verdict = imageClassificationSchema.safeParse({
      model: parsed.data.model_name,
      modelVersion: parsed.data.model_version,
      label: best?.label,
      confidence: best?.confidence,
      topK,
    });
    return verdict.success ? verdict.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The inference host over the Open Inference Protocol (`POST /v2/models/{model}/infer`, undici), with a
 * per-try timeout and bounded retries on transient failures only.
 */
export function createInferenceClient(options: InferenceClientOptions): InferenceClient {
  return {
    classify(model, image, topK, deadline) {
      const url = new URL(`/v2/models/${encodeURIComponent(model)}/infer`, options.baseUrl);
      const { body, headerLength } = imageInferRequest(image, topK);
      return withRetries(
        { attempts: options.attempts, baseDelayMs: options.baseDelayMs ?? 200, deadline },
        async () => {
          const { status, text } = await postOnce('inference host', url, {
            body,
            headers: {
              'content-type': 'application/octet-stream',
              [INFERENCE_HEADER_CONTENT_LENGTH]: String(headerLength),
            },
            timeoutMs: tryTimeout(options.timeoutMs, deadline),
          });
          if (status === 200) {
            const classification = classificationFromResponse(parseJson(text));
            if (!classification) {
              return {
                ok: false,
                code: 'inference_failed',
                message: 'the inference host answered in an unexpected shape',
              };
            }
            return { ok: true, classification };
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

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The host's error message; the element prefix (`image[0]: `) names our own request's field, not the user's. */
function errorMessage(body: string): string | undefined {
  const parsed = parseJson(body) as { error?: unknown } | undefined;
  return typeof parsed?.error === 'string' ? parsed.error.replace(/^image\[0\]: /, '') : undefined;
}
