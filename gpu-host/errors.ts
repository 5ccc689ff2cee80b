/** Errors the inference host raises; server.ts maps each to an HTTP status at the edge. */

/** No such model, or no ready version of it with that number. */
export class ModelNotFoundError extends Error {
  override readonly name = 'ModelNotFoundError';
  constructor(
    readonly model: string,
    readonly version?: string,
  ) {
    super(
      version === undefined
        ? `model "${model}" is not loaded; POST /v2/repository/index lists the models`
        : `model "${model}" has no ready version "${version}"`,
    );
  }
}

/** The bytes are not an image we can decode: not an image at all, corrupt, truncated, or blank. */
export class UnsupportedImageError extends Error {
  override readonly name = 'UnsupportedImageError';
}

/** The image is larger than the host will decode (bytes or pixels): refused before any work. */
export class ImageTooLargeError extends Error {
  override readonly name = 'ImageTooLargeError';
}

/**
 * A model's queue is full (MAX_QUEUE_SIZE requests waiting): the host sheds the request at once
 * rather than let the queue, and every waiting caller's latency, grow without bound.
 */
export class QueueFullError extends Error {
  override readonly name = 'QueueFullError';
  constructor(
    readonly model: string,
    readonly limit: number,
    /** When a retry is worth trying, for `Retry-After`. */
    readonly retryAfterSeconds = 1,
  ) {
    super(
      `model "${model}" has ${limit} requests waiting, its limit (MAX_QUEUE_SIZE); retry after ${retryAfterSeconds} s or try another host`,
    );
  }
}

/** The request is malformed: the message names the field that is wrong. */
export class InvalidRequestError extends Error {
  override readonly name = 'InvalidRequestError';
}

/** Prefixes an image error with the element it concerns, keeping its class (and so its status). */
export function atElement(error: unknown, field: string): unknown {
  if (error instanceof UnsupportedImageError) return new UnsupportedImageError(`${field}: ${error.message}`);
  if (error instanceof ImageTooLargeError) return new ImageTooLargeError(`${field}: ${error.message}`);
  return error;
}
