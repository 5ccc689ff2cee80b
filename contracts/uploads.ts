import { z } from 'zod';
import { ACCEPTED_IMAGE_TYPES, MAX_UPLOAD_BYTES } from './image-types.ts';

/** Model names are path segments and S3 metadata values: keep them plain. */
export const modelNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'model must be lower-case letters, digits, "-" or "_"');

/** `POST /api/uploads` body: what the browser is about to upload. */
export const createUploadRequestSchema = z.object({
  contentType: z.enum(ACCEPTED_IMAGE_TYPES, {
    error: `contentType must be one of ${ACCEPTED_IMAGE_TYPES.join(', ')}`,
  }),
  size: z
    .number()
    .int('size must be a whole number of bytes')
    .positive('size must be positive')
    .max(MAX_UPLOAD_BYTES, `size must be at most ${MAX_UPLOAD_BYTES} bytes`),
  model: modelNameSchema.optional(),
});
export type CreateUploadRequest = z.infer<typeof createUploadRequestSchema>;

/**
 * `POST /api/uploads` answer. The browser PUTs the image to `url` with exactly `headers`
 * (they are signed), then subscribes with `uploadId` and `token`.
 */
export const createUploadResponseSchema = z.object({
  uploadId: z.uuid(),
  url: z.url(),
  headers: z.record(z.string(), z.string()),
  token: z.string().min(32),
  model: modelNameSchema,
  expiresAt: z.iso.datetime(),
});
export type CreateUploadResponse = z.infer<typeof createUploadResponseSchema>;
