import sharp from 'sharp';
import { DECODE_LONG_SIDE } from '../contracts/image-size.ts';
import { sniffImageType } from '../contracts/image-types.ts';
import type { RgbaImage } from '../contracts/preprocess.ts';
import { ImageTooLargeError, UnsupportedImageError } from './errors.ts';

export interface DecodeLimits {
  readonly maxImageBytes: number;
  /** Width × height above which the image is refused from its header, before decoding. */
  readonly maxInputPixels: number;
}

/**
 * Decodes PNG, JPEG, WebP or GIF (first frame) bytes into RGBA pixels, EXIF orientation applied,
 * scaled down to at most DECODE_LONG_SIDE on the long side. Refuses what is not an image
 * (by its magic bytes, not its declared type), what is truncated or corrupt, and what is too large.
 */
export async function decodeImage(bytes: Uint8Array, limits: DecodeLimits): Promise<RgbaImage> {
  if (bytes.length === 0) throw new UnsupportedImageError('the image is empty (0 bytes)');
  if (bytes.length > limits.maxImageBytes) {
    throw new ImageTooLargeError(`the image is ${bytes.length} bytes; the limit is ${limits.maxImageBytes}`);
  }
  const type = sniffImageType(bytes);
  if (!type) {
    throw new UnsupportedImageError('the bytes are not a PNG, JPEG, WebP or GIF image');
  }
  try {
    const { data, info } = await sharp(bytes, {
      limitInputPixels: limits.maxInputPixels,
      failOn: 'warning',
      animated: false,
    })
      .rotate()
      .resize({ width: DECODE_LONG_SIDE, height: DECODE_LONG_SIDE, fit: 'inside', withoutEnlargement: true })
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    return {
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
      width: info.width,
      height: info.height,
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/pixel limit/i.test(message)) {
      throw new ImageTooLargeError(
        `the ${type} image has more than ${limits.maxInputPixels} pixels; scale it down before uploading`,
      );
    }
    throw new UnsupportedImageError(`the ${type} image could not be decoded: ${message}`);
  }
}
