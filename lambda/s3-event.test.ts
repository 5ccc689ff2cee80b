import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { toAwsEventRecord } from '../stack/s3-event-record.ts';
import { s3EventSchema } from './s3-event.ts';

/**
 * AWS's published sample of an S3 PUT notification, as Powertools for AWS Lambda commits it
 * (aws-powertools/powertools-lambda-python, tests/events/s3Event.json): the schema and the local
 * stack's event builder are each checked against it, not only against each other.
 */
const awsSample = JSON.parse(
  readFileSync(new URL('../test/fixtures/aws/s3-object-created-put.json', import.meta.url), 'utf8'),
) as { Records: unknown[] };

/** Every path of a JSON value with the type found there: two values have the same shape when these agree. */
function shapeOf(value: unknown, at = ''): string[] {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return Object.entries(value).flatMap(([key, inner]) => shapeOf(inner, `${at}.${key}`));
  }
  return [`${at}: ${Array.isArray(value) ? 'array' : typeof value}`];
}

describe('S3 event notifications', () => {
  it("parses AWS's own sample event, key and bucket as AWS wrote them", () => {
    const event = s3EventSchema.parse(awsSample);
    expect(event.Records).toHaveLength(1);
    expect(event.Records[0]?.s3).toMatchObject({
      bucket: { name: 'lambda-artifacts-deafc19498e3f2df' },
      object: { key: 'b21b84d653bb07b05b1e6b33684dc11b', size: 1305107 },
    });
  });

  it("builds local records with exactly the fields and types of AWS's sample", () => {
    const local = toAwsEventRecord({
      bucket: 'pictor-local',
      key: 'uploads/3f1c2b4a-9d8e-4f7a-8b6c-5d4e3f2a1b0c',
      size: 1234,
      eTag: 'd41d8cd98f00b204e9800998ecf8427e',
      eventName: 'ObjectCreated:Put',
      sourceIp: '127.0.0.1',
      region: 'us-east-1',
      configurationId: 'uploads',
      eventTime: new Date('2026-12-02T06:00:00.000Z'),
    });
    expect(shapeOf(local).sort()).toEqual(shapeOf(awsSample.Records[0]).sort());
    expect(local.eventVersion).toBe((awsSample.Records[0] as { eventVersion: string }).eventVersion);
    expect(local.s3.object.sequencer).toMatch(/^[0-9A-F]{18}$/);
  });

  it('refuses a record that is not from S3, naming the field', () => {
    const sqs = structuredClone(awsSample) as { Records: Array<Record<string, unknown>> };
    (sqs.Records[0] as Record<string, unknown>).eventSource = 'aws:sqs';
    const parsed = s3EventSchema.safeParse(sqs);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['Records', 0, 'eventSource']);
  });
});
