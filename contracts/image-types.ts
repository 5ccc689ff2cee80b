/** Image types the system accepts for upload and decoding, with the magic bytes that identify each. */
export const ACCEPTED_IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'image/gif'] as const;
export type AcceptedImageType = (typeof ACCEPTED_IMAGE_TYPES)[number];

/** Largest upload the gateway will presign, in bytes. The PWA downscales photos well below it. */
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;

/** True when `type` is one of the image types the system accepts. */
export function isAcceptedImageType(type: string): type is AcceptedImageType {
  return (ACCEPTED_IMAGE_TYPES as readonly string[]).includes(type);
}

/**
 * Identifies an encoded image by its first bytes, or returns null when they match no accepted format.
 * Content-Type headers lie; magic bytes do not.
 */
export function sniffImageType(bytes: Uint8Array): AcceptedImageType | null {
  const startsWith = (sig: number[], offset = 0) => sig.every((b, i) => bytes[offset + i] === b);
  if (startsWith([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith([0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith([0x47, 0x49, 0x46, 0x38])) return 'image/gif';
  if (startsWith([0x52, 0x49, 0x46, 0x46]) && startsWith([0x57, 0x45, 0x42, 0x50], 8)) return 'image/webp';
  return null;
}
