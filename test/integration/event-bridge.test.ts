import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeEventKey } from '../../contracts/s3-keys.ts';
import { s3EventSchema } from '../../lambda/s3-event.ts';
import { createS3Client } from '../../platform/s3-client.ts';
import { EventBridge, type LambdaFunction } from '../../stack/event-bridge.ts';
import { LOCAL_S3_CREDENTIALS, type RunningLocalS3, startLocalS3 } from '../../stack/local-s3.ts';

const BUCKET = 'bridge-test';

interface Invocation {
  event: {
    Records: Array<
      Record<string, unknown> & {
        s3: { object: { key: string; size: number; eTag: string; sequencer: string } };
      }
    >;
  };
  requestId: string;
}

describe('the local S3 → Lambda bridge behaves like the AWS notification', () => {
  let dir: string;
  let s3Server: RunningLocalS3;
  let s3: S3Client;
  let bridge: EventBridge | undefined;
  const logs: Array<{ level: string; message: string }> = [];
  const kept: Array<{ key: string; error: string }> = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'pictor-bridge-'));
    s3Server = await startLocalS3({
      port: 0,
      host: '127.0.0.1',
      directory: dir,
      bucket: BUCKET,
      allowedOrigins: ['*'],
      region: 'eu-west-1',
    });
    s3 = createS3Client({
      region: 'eu-west-1',
      endpoint: s3Server.endpoint,
      credentials: LOCAL_S3_CREDENTIALS,
    });
  });
  afterAll(async () => {
    await s3Server?.close();
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    await bridge?.stop();
    bridge = undefined;
    logs.length = 0;
    kept.length = 0;
  });

  function attach(handler: LambdaFunction, timeoutMs = 5_000): Invocation[] {
    const calls: Invocation[] = [];
    const recording: LambdaFunction = (event, context) => {
      calls.push({ event: event as Invocation['event'], requestId: context.awsRequestId });
      return handler(event, context);
    };
    bridge = new EventBridge({
      handler: recording,
      prefix: 'uploads/',
      functionName: 'test-fn',
      timeoutMs,
      retryDelaysMs: [20, 40],
      log: (level, message) => logs.push({ level, message }),
      onFailed: async (object, error) => {
        kept.push({ key: object.key, error });
      },
    });
    s3Server.onObjectCreated(bridge.onObjectCreated);
    return calls;
  }

  const put = (key: string, body: string) =>
    s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ContentType: 'image/png' }));

  it('sends a record in AWS shape, with the key encoded the way S3 encodes it', async () => {
    const calls = attach(async () => {});
    const key = 'uploads/red flower+1 100% ü.png';
    const body = 'not really a png';
    await put(key, body);
    await bridge?.idle();

    expect(calls).toHaveLength(1);
    const event = s3EventSchema.parse(calls[0]?.event);
    const record = event.Records[0];
    expect(record).toMatchObject({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'eu-west-1',
      eventName: 'ObjectCreated:Put',
      s3: {
        s3SchemaVersion: '1.0',
        bucket: { name: BUCKET, arn: `arn:aws:s3:::${BUCKET}` },
        object: {
          key: 'uploads/red+flower%2B1+100%25+%C3%BC.png',
          size: Buffer.byteLength(body),
          eTag: createHash('md5').update(body).digest('hex'),
        },
      },
    });
    expect(record?.s3.object.sequencer).toMatch(/^[0-9A-F]{18}$/);
    expect(decodeEventKey(record?.s3.object.key ?? '')).toBe(key);
  });

  it("applies the uploads/ prefix filter: the system's own writes trigger nothing", async () => {
    const calls = attach(async () => {});
    await put('predictions/dt=2024-01-01/x.json', '{}');
    await put('labels/dt=2024-01-01/b.jsonl', '{}');
    await put('uploads/counted', 'x');
    await bridge?.idle();
    expect(calls.map((c) => decodeEventKey(c.event.Records[0]?.s3.object.key ?? ''))).toEqual([
      'uploads/counted',
    ]);
  });

  it('gives later events on a key a greater sequencer', async () => {
    const calls = attach(async () => {});
    await put('uploads/same', 'a');
    await put('uploads/same', 'bb');
    await bridge?.idle();
    const [first, second] = calls.map((c) => c.event.Records[0]?.s3.object.sequencer ?? '');
    expect((second ?? '') > (first ?? '')).toBe(true);
  });

  it('invokes asynchronously: the upload does not wait for the function', async () => {
    let release: () => void = () => {};
    const calls = attach(() => new Promise<void>((resolve) => (release = resolve)));
    await put('uploads/slow', 'x');
    expect(calls).toHaveLength(1);
    release();
    await bridge?.idle();
  });

  it('retries a failed invocation twice with the same event, then keeps it for re-drive', async () => {
    const calls = attach(async () => {
      throw new Error('inference host down');
    });
    await put('uploads/doomed', 'x');
    await bridge?.idle();
    expect(calls).toHaveLength(3);
    expect(new Set(calls.map((c) => JSON.stringify(c.event))).size).toBe(1);
    expect(new Set(calls.map((c) => c.requestId)).size).toBe(3);
    expect(logs.map((l) => l.message)).toEqual([
      'invocation failed; will retry',
      'invocation failed; will retry',
      'invocation failed; event kept for re-drive',
    ]);
    expect(kept).toEqual([{ key: 'uploads/doomed', error: 'inference host down' }]);
  });

  it('stops retrying once an invocation succeeds', async () => {
    let failures = 1;
    const calls = attach(async () => {
      if (failures-- > 0) throw new Error('transient');
    });
    await put('uploads/recovers', 'x');
    await bridge?.idle();
    expect(calls).toHaveLength(2);
  });

  it('counts an invocation that outlives the function timeout as failed', async () => {
    const calls = attach(() => new Promise(() => {}), 50);
    await put('uploads/hangs', 'x');
    await bridge?.idle();
    expect(calls).toHaveLength(3);
    expect(kept.map((k) => k.key)).toEqual(['uploads/hangs']);
    expect(kept[0]?.error).toMatch(/timed out/);
  });
});
