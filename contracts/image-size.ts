/**
 * Long side a photo is scaled down to before preprocessing, on the device (pwa/src/inference/
 * image-pipeline.ts) and on the server (gpu-host/image-decoder.ts) alike: plenty for a 28×28 model,
 * cheap to preprocess, and the same on both sides so that device and server see the same pixels.
 */
export const DECODE_LONG_SIDE = 512;

/** Width and height scaled so that the long side is at most `longSide`; never enlarged, never 0. */
export function fitInside(
  width: number,
  height: number,
  longSide: number,
): { width: number; height: number } {
  const scale = Math.min(1, longSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}
