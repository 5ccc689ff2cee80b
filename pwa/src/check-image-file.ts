import { type AcceptedImageType, MAX_UPLOAD_BYTES, sniffImageType } from '../../contracts/image-types.ts';
import { UnusableFileError } from './errors.ts';

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
  if (file.size > MAX_UPLOAD_BYTES) {
    throw new UnusableFileError(
      'too-large',
      `the file is ${file.size} bytes; the limit is ${MAX_UPLOAD_BYTES}`,
    );
  }
  return type;
}
