/** Errors the inference host raises; server.ts maps each to an HTTP status at the edge. */

export class ModelNotFoundError extends Error {
  override readonly name = 'ModelNotFoundError';
  constructor(
    readonly model: string,
    readonly version?: string,
  ) {
    super(
      version === undefined
        ? `model "${model}" is not in the repository; GET /v2/models lists what is`
        : `model "${model}" has no ready version "${version}"`,
    );
  }
}

/** The bytes are not an image we can decode: not an image at all, or corrupt or truncated. */
export class UnsupportedImageError extends Error {
  override readonly name = 'UnsupportedImageError';
}

/** The image is larger than the host will decode (bytes or pixels): refused before any work. */
export class ImageTooLargeError extends Error {
  override readonly name = 'ImageTooLargeError';
}

/** The request is malformed: the message names the field that is wrong. */
export class InvalidRequestError extends Error {
  override readonly name = 'InvalidRequestError';
}
