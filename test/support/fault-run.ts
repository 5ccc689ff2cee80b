import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { mnistDigitImage } from './images.ts';
import type { ProcessStack } from './process-stack.ts';
import { TrackedUpload } from './tracked-upload.ts';

export interface SendOptions {
  /** Users arrive spread over this long instead of all at once. */
  readonly spreadMs?: number;
  /** How long a user keeps trying a PUT that S3 did not answer (the app's upload queue retries). */
  readonly retryPutForMs?: number;
}

/** Sends `count` digit photos as separate users; returns the uploads S3 accepted (PUT 200). */
export async function sendUploads(
  stack: ProcessStack,
  count: number,
  options: SendOptions = {},
): Promise<TrackedUpload[]> {
  const sent = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const image = await mnistDigitImage(i % 10, Math.floor(i / 10));
      if (options.spreadMs)
        await new Promise((resolve) => setTimeout(resolve, (options.spreadMs ?? 0) * (i / count)));
      try {
        return await TrackedUpload.send(stack.gatewayUrl, image, options.retryPutForMs);
      } catch {
        return undefined; // the PUT itself failed: S3 did not accept this upload
      }
    }),
  );
  return sent.flatMap((s) => (s && s.putStatus === 200 ? [s.tracked] : []));
}

/** Waits for every upload's final message; returns the ones still without one. */
export async function waitAllFinal(
  uploads: readonly TrackedUpload[],
  timeoutMs: number,
): Promise<TrackedUpload[]> {
  const results = await Promise.all(
    uploads.map(async (u) => ((await u.waitFinal(timeoutMs)) ? undefined : u)),
  );
  return results.filter((u): u is TrackedUpload => u !== undefined);
}

/** The events kept for re-drive right now. */
export async function keptEvents(stack: ProcessStack): Promise<string[]> {
  try {
    return (await readdir(path.join(stack.dataDir, 'redrive'))).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
}

/** Resolves once `condition` holds (checked every 100 ms), or throws after `timeoutMs`. */
export async function eventually(
  condition: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** True when the event of every one of these uploads is kept for re-drive. */
export async function allKept(stack: ProcessStack, uploads: readonly TrackedUpload[]): Promise<boolean> {
  const kept = new Set(await keptEvents(stack));
  return uploads.every((u) => kept.has(keptName(u)));
}

/** True when none of these uploads' events is kept any more. */
export async function noneKept(stack: ProcessStack, uploads: readonly TrackedUpload[]): Promise<boolean> {
  const kept = new Set(await keptEvents(stack));
  return uploads.every((u) => !kept.has(keptName(u)));
}

function keptName(u: TrackedUpload): string {
  return `${encodeURIComponent(`uploads/${u.uploadId}`)}.json`;
}
