import type { UploadResult } from '../contracts/results.ts';
import { postOnce } from '../platform/post-once.ts';
import { RESULT_SIGNATURE_HEADER, signResult } from '../platform/result-signature.ts';
import { isTransientStatus, TransientError, tryTimeout, withRetries } from '../platform/retry.ts';

/**
 * The gateway refused the result (a signature, clock or schema problem): retrying at once will not
 * help, but the result is kept for re-drive, since fixing the secret or the clock will.
 */
export class ResultRejectedError extends Error {
  override readonly name = 'ResultRejectedError';
}

export interface GatewayClient {
  /**
   * Delivers a signed result; throws TransientError when the gateway stayed unreachable (no new try
   * starts after `deadline`, epoch ms), ResultRejectedError when it refused the result.
   */
  postResult(result: UploadResult, deadline?: number): Promise<void>;
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
    async postResult(result, deadline) {
      const body = JSON.stringify(result);
      await withRetries(
        { attempts: options.attempts ?? 3, baseDelayMs: options.baseDelayMs ?? 200, deadline },
        async () => {
          const { status, text } = await postOnce('gateway', url, {
            body,
            headers: {
              'content-type': 'application/json',
              [RESULT_SIGNATURE_HEADER]: await signResult(body, options.secret, now()),
            },
            timeoutMs: tryTimeout(options.timeoutMs, deadline),
          });
          if (status >= 200 && status < 300) return;
          if (isTransientStatus(status)) {
            throw new TransientError(`gateway answered ${status}: ${text}`);
          }
          throw new ResultRejectedError(`gateway refused the result with ${status}: ${text}`);
        },
      );
    },
  };
}
