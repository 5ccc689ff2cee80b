import { createUpload } from './api/create-upload.ts';
import { uploadToS3 } from './api/upload-to-s3.ts';
import { openVerdictChannel, type Verdict, type VerdictTiming } from './api/verdict-channel.ts';
import { checkImageFile } from './check-image-file.ts';
import { ApiError, NetworkError, UploadRejectedError } from './errors.ts';
import { sleep } from './sleep.ts';

/** Where the pipeline is, for the status line. */
export type ClassifyProgress =
  | { readonly step: 'checking' }
  | { readonly step: 'uploading'; readonly fraction: number }
  | { readonly step: 'waiting' }
  | { readonly step: 'server-retrying'; readonly message: string };

export interface ClassifyOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: ClassifyProgress) => void;
  /** The server's default model when absent. */
  readonly model?: string;
  readonly verdictTiming?: Partial<VerdictTiming>;
}

/** Waits before retrying a transient failure to start or send the upload. */
const UPLOAD_RETRY_DELAYS_MS = [500, 2_000] as const;
/** How long to wait for the subscription before uploading anyway (the verdict is delivered on subscribe). */
const SUBSCRIBE_WAIT_MS = 3_000;

/**
 * Classifies one image: check it, get a presigned upload, subscribe for the verdict, upload, wait.
 * Each step is a plain awaited call; the signal aborts whichever is running.
 */
export async function classifyImage(file: Blob, options: ClassifyOptions = {}): Promise<Verdict> {
  const { signal, onProgress } = options;
  onProgress?.({ step: 'checking' });
  const contentType = await checkImageFile(file, signal);

  const upload = await withRetries(
    () => createUpload({ contentType, size: file.size, model: options.model }, signal),
    signal,
  );

  const channel = openVerdictChannel(upload, {
    signal,
    timing: options.verdictTiming,
    onRetrying: (message) => onProgress?.({ step: 'server-retrying', message }),
  });
  // Handled here so that a failure while we are still uploading is not "unhandled"; awaited below.
  channel.verdict.catch(() => {});
  try {
    await Promise.race([channel.ready, sleep(SUBSCRIBE_WAIT_MS, signal)]);
    onProgress?.({ step: 'uploading', fraction: 0 });
    await withRetries(
      () =>
        uploadToS3(upload, file, {
          signal,
          onProgress: (fraction) => onProgress?.({ step: 'uploading', fraction }),
        }),
      signal,
    );
    onProgress?.({ step: 'waiting' });
    return await channel.verdict;
  } finally {
    channel.close();
  }
}

async function withRetries<T>(step: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      const delay = UPLOAD_RETRY_DELAYS_MS[attempt];
      if (delay === undefined || !isTransient(error)) throw error;
      await sleep(delay, signal);
    }
  }
}

function isTransient(error: unknown): boolean {
  return (
    error instanceof NetworkError ||
    ((error instanceof ApiError || error instanceof UploadRejectedError) && error.transient)
  );
}
