import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
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
import { clampProbability } from '../contracts/top-k.ts';
import { isTransientNetworkError, isTransientStatus, TransientError, tryTimeout } from '../platform/retry.ts';
import { retryAfterMs } from '../platform/retry-after.ts';
import { splitUrlList } from '../platform/url-list.ts';
import { type BalancerPolicy, DEFAULT_BALANCER_POLICY, HostBalancer } from './host-balancer.ts';

/** A verdict, or the reason the host gave for refusing the image (a permanent outcome). */
export type InferenceOutcome =
  | { readonly ok: true; readonly classification: ImageClassification }
  | { readonly ok: false; readonly code: PredictionErrorCode; readonly message: string };

export interface InferenceClient {
  /**
   * Classifies encoded image bytes; throws TransientError when every host tried stayed unreachable or
   * overloaded. No try starts after `deadline` (epoch ms), and none runs past it; `signal` aborts the
   * waits between tries and the request in flight.
   */
  classify(
    model: string,
    image: Uint8Array,
    topK: number,
    deadline?: number,
    signal?: AbortSignal,
  ): Promise<InferenceOutcome>;
}

/** One try against one host, for logs and tests. */
export interface InferenceTry {
  readonly host: string;
  readonly tryNumber: number;
  /** Time spent waiting before this try because every host was cooling down; 0 when one was free. */
  readonly waitedMs: number;
  /** `answered`: a verdict or a refusal; `failed`: transient (down, timeout, 5xx, 429). */
  readonly result: 'answered' | 'failed';
  readonly detail?: string;
}

export interface InferenceClientOptions {
  /** One base URL or several, comma-separated (INFERENCE_URL), or the list itself. */
  readonly baseUrl: string | readonly string[];
  /** Per try. */
  readonly timeoutMs: number;
  /** Tries per classification, the first included; a try on another host follows a failure at once. */
  readonly attempts: number;
  /** Wait before a try when every host is cooling down: doubles with each try, ±50% jitter. */
  readonly baseDelayMs?: number;
  readonly balancer?: BalancerPolicy;
  readonly onTry?: (event: InferenceTry) => void;
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
      return { label: label ?? String(index), confidence: clampProbability(value) };
    });
    const best = topK[0];
    const verdict = imageClassificationSchema.safeParse({
      model: parsed.data.model_name,
      modelVersion: parsed.data.model_version,
      label: best?.label,
      confidence: best?.confidence,
      topK,
      ...outOfDistributionOf(output.parameters?.out_of_distribution),
    });
    return verdict.success ? verdict.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The host flags each batch row of a model with a threshold (`true`/`false`, comma separated); one
 * image here. Nothing for a model (or host) without the flag.
 */
function outOfDistributionOf(flags: unknown): { outOfDistribution?: boolean } {
  return typeof flags === 'string' ? { outOfDistribution: flags.split(',')[0] === 'true' } : {};
}

/**
 * The inference hosts over the Open Inference Protocol (`POST /v2/models/{model}/infer`, undici): each
 * try goes to the host the balancer picks (host-balancer.ts), with a per-try timeout. A transient failure
 * moves the next try to another host at once; only when every host is cooling down does a try wait
 * (the soonest host's cooldown, at most the doubling backoff). Refusals of the image are not retried.
 */
export function createInferenceClient(options: InferenceClientOptions): InferenceClient {
  const hosts = typeof options.baseUrl === 'string' ? splitUrlList(options.baseUrl) : [...options.baseUrl];
  const balancer = new HostBalancer(hosts, options.balancer ?? DEFAULT_BALANCER_POLICY);
  const baseDelayMs = options.baseDelayMs ?? 200;
  return {
    async classify(model, image, topK, deadline, signal) {
      const path = `/v2/models/${encodeURIComponent(model)}/infer`;
      const { body, headerLength } = imageInferRequest(image, topK);
      let lastFailure: TransientError | undefined;
      for (let tryNumber = 1; tryNumber <= options.attempts; tryNumber++) {
        // No try starts after the deadline (the Lambda's remaining time), and none runs past it.
        if (deadline !== undefined && Date.now() >= deadline) break;
        const choice = balancer.choose(Date.now());
        let waitedMs = 0;
        if (choice.readyInMs > 0) {
          const backoff = baseDelayMs * 2 ** (tryNumber - 1) * (0.5 + Math.random());
          waitedMs = Math.min(choice.readyInMs, backoff);
          if (deadline !== undefined && Date.now() + waitedMs >= deadline) break;
          await sleep(waitedMs, undefined, { signal });
        }
        const host = choice.host;
        const ticket = balancer.begin(host, Date.now());
        let answer: HostAnswer;
        try {
          const timeoutMs = tryTimeout(options.timeoutMs, deadline);
          answer = await postInfer(new URL(path, host), body, headerLength, timeoutMs, signal);
        } catch (error) {
          if (signal?.aborted || !isTransientNetworkError(error)) {
            balancer.released(ticket);
            throw error;
          }
          balancer.failed(ticket, Date.now());
          lastFailure = new TransientError(
            `inference host unreachable at ${host}: ${(error as Error).message}`,
          );
          options.onTry?.({ host, tryNumber, waitedMs, result: 'failed', detail: lastFailure.message });
          continue;
        }
        const { status, text } = answer;
        if (isTransientStatus(status)) {
          balancer.failed(ticket, Date.now(), retryAfterMs(answer.retryAfter, Date.now()));
          const message = errorMessage(text) ?? `inference host answered ${status}`;
          lastFailure = new TransientError(`inference host ${host} answered ${status}: ${message}`);
          options.onTry?.({ host, tryNumber, waitedMs, result: 'failed', detail: lastFailure.message });
          continue;
        }
        balancer.succeeded(ticket, Date.now());
        options.onTry?.({ host, tryNumber, waitedMs, result: 'answered' });
        return outcomeOf(status, text);
      }
      throw (
        lastFailure ??
        new TransientError(
          options.attempts < 1
            ? 'no try was made; INFERENCE_ATTEMPTS must be at least 1'
            : 'no time left before the deadline for a try at the inference host',
        )
      );
    },
  };
}

interface HostAnswer {
  readonly status: number;
  readonly text: string;
  readonly retryAfter: string | undefined;
}

async function postInfer(
  url: URL,
  body: Buffer,
  headerLength: number,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<HostAnswer> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const response = await request(url, {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/octet-stream',
      [INFERENCE_HEADER_CONTENT_LENGTH]: String(headerLength),
    },
    signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
  });
  const retryAfter = response.headers['retry-after'];
  return {
    status: response.statusCode,
    text: await response.body.text(),
    retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
  };
}

/** What a non-transient answer means for the user: the verdict, or the host's refusal. */
function outcomeOf(status: number, text: string): InferenceOutcome {
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
  return { ok: false, code: PERMANENT_STATUS_CODES.get(status) ?? 'inference_failed', message };
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
