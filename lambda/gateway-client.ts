import { request } from 'undici';
import { RESULT_SIGNATURE_HEADER, signResult } from '../contracts/result-signature.ts';
import type { UploadResult } from '../contracts/results.ts';
import {
  isTransientNetworkError,
  isTransientStatus,
  TransientError,
  withRetries,
} from '../platform/retry.ts';

/** The gateway refused the result for good (a signature or schema problem): retrying will not help. */
export class ResultRejectedError extends Error {
  override readonly name = 'ResultRejectedError';
}

export interface GatewayClient {
  /** Delivers a signed result; throws TransientError when the gateway stayed unreachable. */
  postResult(result: UploadResult): Promise<void>;
}

export interface GatewayClientOptions {
  readonly baseUrl: string;
  readonly secret: string;
  readonly timeoutMs: number;
  readonly attempts?: number;
  readonly baseDelayMs?: number;
  readonly now?: () => number;
}

/** Posts results to the gateway's `/internal/results`, each try signed afresh. */
export function createGatewayClient(options: GatewayClientOptions): GatewayClient {
  const url = new URL('/internal/results', options.baseUrl);
  const now = options.now ?? (() => Date.now() / 1000);
  return {
    async postResult(result) {
      const body = JSON.stringify(result);
      await withRetries(
        { attempts: options.attempts ?? 3, baseDelayMs: options.baseDelayMs ?? 200 },
        async () => {
          let response: Awaited<ReturnType<typeof request>>;
          try {
            response = await request(url, {
              method: 'POST',
              body,
              headers: {
                'content-type': 'application/json',
                [RESULT_SIGNATURE_HEADER]: await signResult(body, options.secret, now()),
              },
              signal: AbortSignal.timeout(options.timeoutMs),
            });
          } catch (error) {
            if (isTransientNetworkError(error)) {
              throw new TransientError(`gateway unreachable at ${url.origin}: ${(error as Error).message}`);
            }
            throw error;
          }
          const text = await response.body.text();
          if (response.statusCode >= 200 && response.statusCode < 300) return;
          if (isTransientStatus(response.statusCode)) {
            throw new TransientError(`gateway answered ${response.statusCode}: ${text}`);
          }
          throw new ResultRejectedError(`gateway refused the result with ${response.statusCode}: ${text}`);
        },
      );
    },
  };
}
