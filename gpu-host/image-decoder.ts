import sharp from 'sharp';
import { downscaleRgba } from '../contracts/downscale-rgba.ts';
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
 * scaled down to at most DECODE_LONG_SIDE on the long side (by `downscaleRgba`, as the app does). Refuses what is not an image
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
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    // Decoded at full size and scaled by the code the browser runs too: libvips' shrink-on-load and
    // Lanczos kernel differ from canvas, enough to tip a borderline digit between device and server.
    return downscaleRgba(
      {
        data: new Uint8Array(data.buffer, data.byteOffset, data.length),
        width: info.width,
        height: info.height,
      },
      DECODE_LONG_SIDE,
    );
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
