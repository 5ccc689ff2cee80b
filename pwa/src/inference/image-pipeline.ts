/**
 * Image steps that run in the inference worker: decode (EXIF orientation applied), scale down, read
 * pixels, re-encode. OffscreenCanvas only, no DOM.
 */
import { downscaleRgba } from '../../../contracts/downscale-rgba.ts';
import { DECODE_LONG_SIDE, fitInside } from '../../../contracts/image-size.ts';
import type { AcceptedImageType } from '../../../contracts/image-types.ts';
import type { RgbaImage } from '../../../contracts/preprocess.ts';

/** Long side of what is uploaded: plenty for the server, small on a phone's data plan. */
export const UPLOAD_LONG_SIDE = 1024;
/** Originals this small (and no larger than UPLOAD_LONG_SIDE) are uploaded as they are. */
export const UPLOAD_KEEP_ORIGINAL_BYTES = 1_500_000;
export const THUMBNAIL_LONG_SIDE = 160;
const UPLOAD_JPEG_QUALITY = 0.85;
const THUMBNAIL_JPEG_QUALITY = 0.7;

/** Decodes an encoded image, turned upright by its EXIF orientation. Rejects when it is not decodable. */
export function decodeImage(image: Blob): Promise<ImageBitmap> {
  return createImageBitmap(image, { imageOrientation: 'from-image' });
}

function draw(bitmap: ImageBitmap, longSide: number, background?: string) {
  const { width, height } = fitInside(bitmap.width, bitmap.height, longSide);
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext('2d');
  if (!context) throw new Error('OffscreenCanvas 2d context is unavailable');
  if (background) {
    context.fillStyle = background;
    context.fillRect(0, 0, width, height);
  }
  context.imageSmoothingEnabled = true;
  context.imageSmoothingQuality = 'high';
  context.drawImage(bitmap, 0, 0, width, height);
  return { canvas, context, width, height };
}

/**
 * RGBA pixels of the image scaled to ≤ DECODE_LONG_SIDE: what `preprocess` takes. Read at full size
 * and scaled by the shared `downscaleRgba`, exactly as the gpu-host does after sharp decodes, so that
 * only the decoders can differ (canvas's own resampling does not match libvips').
 */
export function pixelsForPreprocessing(bitmap: ImageBitmap): RgbaImage {
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context) throw new Error('OffscreenCanvas 2d context is unavailable');
  context.drawImage(bitmap, 0, 0);
  const { data } = context.getImageData(0, 0, bitmap.width, bitmap.height);
  return downscaleRgba({ data, width: bitmap.width, height: bitmap.height }, DECODE_LONG_SIDE);
}

/**
 * What to upload: the original bytes when they are already small, otherwise the image re-encoded with
 * its long side at most UPLOAD_LONG_SIDE (PNG stays PNG, to keep transparency; the rest becomes JPEG).
 */
export async function encodeForUpload(
  bitmap: ImageBitmap,
  original: Blob,
  originalType: AcceptedImageType,
): Promise<{ blob: Blob; type: AcceptedImageType }> {
  const small = Math.max(bitmap.width, bitmap.height) <= UPLOAD_LONG_SIDE;
  if (small && original.size <= UPLOAD_KEEP_ORIGINAL_BYTES) return { blob: original, type: originalType };
  const type: AcceptedImageType = originalType === 'image/png' ? 'image/png' : 'image/jpeg';
  const { canvas } = draw(bitmap, UPLOAD_LONG_SIDE, type === 'image/jpeg' ? '#ffffff' : undefined);
  const blob = await canvas.convertToBlob({ type, quality: UPLOAD_JPEG_QUALITY });
  return { blob, type };
}

/** A small JPEG for History. */
export function thumbnailOf(bitmap: ImageBitmap): Promise<Blob> {
  const { canvas } = draw(bitmap, THUMBNAIL_LONG_SIDE, '#ffffff');
  return canvas.convertToBlob({ type: 'image/jpeg', quality: THUMBNAIL_JPEG_QUALITY });
}
