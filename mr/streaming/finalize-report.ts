import { parseArgs } from 'node:util';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { parseEnvironment, s3ConnectionFrom, s3EnvironmentSchema } from '../../platform/env-config.ts';
import { createS3Client } from '../../platform/s3-client.ts';
import type { ManifestLabels } from '../class-order.ts';
import { finalizeMetrics } from '../finalize.ts';
import { publishReport, s3ReportSink } from '../report-publisher.ts';
import { parseS3Url } from '../s3-url.ts';
import { runTask } from './line-io.ts';

/**
 * The EMR run's last step (not a streaming task): reads the totals job's output and the class lists
 * from S3, computes the metrics and writes the report beside the local runner's, `reports/latest.json` last.
 * `node finalize-report.js --totals s3://b/…/totals/ --class-lists s3://b/…/class-lists.json --bucket b --run-id … --region …`
 */
runTask(async () => {
  const { values } = parseArgs({
    options: {
      totals: { type: 'string' },
      'class-lists': { type: 'string' },
      bucket: { type: 'string' },
      'run-id': { type: 'string' },
      region: { type: 'string' },
    },
  });
  const { totals, bucket, region } = values;
  const runId = values['run-id'];
  const classLists = values['class-lists'];
  if (!totals || !bucket || !region || !runId || !classLists) {
    throw new Error(
      'usage: finalize-report --totals s3://… --class-lists s3://… --bucket B --run-id ID --region R',
    );
  }
  // In AWS the instance role's credentials; S3_ENDPOINT and keys point it at an S3-compatible server (tests).
  const s3 = createS3Client({
    ...s3ConnectionFrom(parseEnvironment(s3EnvironmentSchema, process.env, 'finalize-report')),
    region,
  });
  const read = async (url: string) => {
    const { bucket: b, key } = parseS3Url(url);
    const object = await s3.send(new GetObjectCommand({ Bucket: b, Key: key }));
    return (await object.Body?.transformToString()) ?? '';
  };
  const manifests = JSON.parse(await read(classLists)) as ManifestLabels;
  const location = parseS3Url(totals);
  const lines: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: location.bucket, Prefix: location.key, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) {
      const name = object.Key?.slice(object.Key.lastIndexOf('/') + 1) ?? '';
      if (!name.startsWith('part-')) continue;
      lines.push(...(await read(`s3://${location.bucket}/${object.Key}`)).split('\n'));
    }
    token = page.NextContinuationToken;
  } while (token);
  const metrics = finalizeMetrics(lines, { runId, generatedAt: new Date(), manifests });
  const pointer = await publishReport(s3ReportSink(s3, bucket), metrics);
  process.stdout.write(`${JSON.stringify(pointer)}\n`);
});
