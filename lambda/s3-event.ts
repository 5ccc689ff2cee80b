import { z } from 'zod';

/**
 * The parts of an S3 event notification record (eventVersion 2.x) the handler relies on; other
 * fields pass through. `s3.object.key` is URL-encoded as S3 writes it: decode with decodeEventKey.
 */
export const s3EventRecordSchema = z.looseObject({
  eventVersion: z.string().regex(/^2\.\d+$/, 'eventVersion must be 2.x'),
  eventSource: z.literal('aws:s3'),
  awsRegion: z.string(),
  eventTime: z.iso.datetime(),
  eventName: z.string(),
  s3: z.looseObject({
    bucket: z.looseObject({ name: z.string().min(1), arn: z.string().startsWith('arn:aws:s3:::') }),
    object: z.looseObject({
      key: z.string().min(1),
      size: z.number().int().nonnegative().optional(),
      eTag: z.string().optional(),
      sequencer: z.string().optional(),
    }),
  }),
});
export type S3EventRecord = z.infer<typeof s3EventRecordSchema>;

export const s3EventSchema = z.object({ Records: z.array(s3EventRecordSchema) });
export type S3Event = z.infer<typeof s3EventSchema>;
