import { type AcceptedImageType, MAX_UPLOAD_BYTES, sniffImageType } from '../../contracts/image-types.ts';
import { UnusableFileError } from './errors.ts';

/**
 * Largest photo the app reads. Far above what phones take (a 50 MP JPEG is ~25 MB): the photo is
 * downscaled on the device before upload, and the upload limit applies to that (checkUploadSize).
 */
export const MAX_SOURCE_BYTES = 64 * 1024 * 1024;

/**
 * Checks that a chosen file is an image the server can read, by its first bytes rather than its
 * name or the type the browser guessed from it, and returns the type to upload it as.
 */
export async function checkImageFile(file: Blob, signal?: AbortSignal): Promise<AcceptedImageType> {
  if (file.size === 0) throw new UnusableFileError('empty', 'the file is empty');
  const head = new Uint8Array(await file.slice(0, 16).arrayBuffer());
  signal?.throwIfAborted();
  const type = sniffImageType(head);
  if (!type)
    throw new UnusableFileError(
      'not-an-image',
      'the file does not start like a PNG, JPEG, WebP or GIF image',
    );
  if (file.size > MAX_SOURCE_BYTES) {
    throw new UnusableFileError(
      'too-large',
      `the file is ${file.size} bytes; the app reads photos up to ${MAX_SOURCE_BYTES}`,
    );
  }
  return type;
}

/** The gateway's limit applies to what is uploaded: the photo after the device downscaled it. */
export function checkUploadSize(upload: Blob): void {
  if (upload.size > MAX_UPLOAD_BYTES) {
    throw new UnusableFileError(
      'too-large',
      `the downscaled image is ${upload.size} bytes; the upload limit is ${MAX_UPLOAD_BYTES}`,
    );
  }
}
