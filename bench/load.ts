import { parseArgs } from 'node:util';
import { sendUploads, waitAllFinal } from '../test/support/fault-run.ts';
import { ProcessStack } from '../test/support/process-stack.ts';
import type { TrackedUpload } from '../test/support/tracked-upload.ts';

// `npm run load -- --users 50 --fault none|gpu-host|gateway|s3|kill-s3`: N simulated users, each
// asking the gateway for a presigned URL, subscribing on the WebSocket and PUTting a photo to S3, against
// the system running as separate processes (start:s3, start:gpu-host, start:gateway) with a fault
// injected. Counts what each user finally got. Target: 0 lost and 0 duplicated in every mode.

const FAULTS = ['none', 'gpu-host', 'gateway', 's3', 'kill-s3'] as const;
type Fault = (typeof FAULTS)[number];

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '50' },
    fault: { type: 'string', default: 'none' },
    'outage-ms': { type: 'string', default: '8000' },
    'timeout-s': { type: 'string', default: '120' },
  },
});
const users = Number(values.users);
const fault = values.fault as Fault;
const outageMs = Number(values['outage-ms']);
const timeoutMs = Number(values['timeout-s']) * 1000;
if (!FAULTS.includes(fault)) throw new Error(`--fault must be one of ${FAULTS.join(', ')}`);
if (!Number.isInteger(users) || users < 1) throw new Error('--users must be a positive integer');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const stack = await ProcessStack.start({ redriveIntervalMs: 500, sweepAgeSeconds: 5 });
try {
  const started = Date.now();
  let uploads: TrackedUpload[];
  switch (fault) {
    case 'none':
      uploads = await sendUploads(stack, users);
      break;
    case 'gpu-host': {
      // Down longer than the Lambda's retries, then back.
      await stack.stopPart('gpu-host', 'SIGKILL');
      uploads = await sendUploads(stack, users);
      await sleep(outageMs);
      await stack.startPart('gpu-host');
      break;
    }
    case 'gateway': {
      // Killed right after the uploads, while they are processed; restarted after the outage.
      uploads = await sendUploads(stack, users);
      await stack.stopPart('gateway', 'SIGKILL');
      await sleep(outageMs);
      await stack.startPart('gateway');
      break;
    }
    case 's3': {
      // S3 unreachable for the handler and the gateway right after the PUTs.
      uploads = await sendUploads(stack, users);
      await Promise.all([stack.s3Proxy.block(), stack.lambdaS3Proxy.block()]);
      await sleep(outageMs);
      await Promise.all([stack.s3Proxy.unblock(), stack.lambdaS3Proxy.unblock()]);
      break;
    }
    case 'kill-s3': {
      // The S3 + Lambda process killed -9 while uploads arrive (spread over 3 s), then restarted; users
      // whose PUT failed try it again, as the app does.
      const sending = sendUploads(stack, users, { spreadMs: 3_000, retryPutForMs: 30_000 });
      await sleep(1_500);
      await stack.stopPart('s3', 'SIGKILL');
      await stack.startPart('s3');
      uploads = await sending;
      break;
    }
  }
  const lost = await waitAllFinal(uploads, Math.max(0, timeoutMs - (Date.now() - started)));
  for (const u of uploads) u.close();

  const finals = uploads.flatMap((u) => (u.final ? [u] : []));
  const times = finals.map((u) => (u.finals[0]?.at ?? 0) - u.startedAt).sort((a, b) => a - b);
  const summary = {
    fault,
    users,
    refusedPuts: users - uploads.length,
    sent: uploads.length,
    finalPredictions: finals.filter((u) => u.final?.type === 'prediction').length,
    finalErrors: finals.filter((u) => u.final?.type === 'error').length,
    lost: lost.length,
    duplicated: uploads.filter((u) => u.duplicated).length,
    toldRetrying: uploads.filter((u) => u.transientErrors > 0).length,
    p50Ms: percentile(times, 0.5),
    p99Ms: percentile(times, 0.99),
    wallMs: Date.now() - started,
  };
  const rows: Array<[string, string | number]> = [
    ['fault', fault],
    ['users', users],
    ['PUTs refused (not accepted)', summary.refusedPuts],
    ['sent (accepted by S3)', summary.sent],
    ['final predictions', summary.finalPredictions],
    ['final errors', summary.finalErrors],
    ['lost', summary.lost],
    ['duplicated', summary.duplicated],
    ['told "retrying" first', summary.toldRetrying],
    ['p50 time to final outcome (ms)', summary.p50Ms],
    ['p99 time to final outcome (ms)', summary.p99Ms],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(`\n${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n`);
  console.log(JSON.stringify(summary));
  process.exitCode = summary.lost === 0 && summary.duplicated === 0 ? 0 : 1;
} finally {
  await stack.dispose();
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0;
}
