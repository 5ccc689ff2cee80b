/**
 * `npm run loop:demo`: one run of the learning loop on a seeded scenario, for the record. A scratch
 * local S3 gets N labelled uploads of a style the committed digits model misreads (`sideways`: pages
 * photographed a quarter turn off, with no EXIF orientation); a scratch copy of the model repository
 * and a gpu-host on a free port serve the current default; `retrain` trains a candidate on all of
 * MNIST's training split plus the users' train part, the gate compares it with the current default and
 * promotes it when it passes (the host reloads). Prints the gate's table; last line JSON.
 *
 *   npx tsx training/loop/demo.ts [--uploads 600] [--style sideways|broken] [--epochs 20] [--fonts auto]
 *                                 [--extra-share 0.2] [--keep]
 *
 * CPU-heavy: about 15–25 minutes on 2 shared cores (training, then ~2,000 evaluation images twice).
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { readGpuHostConfig } from '../../gpu-host/config.ts';
import { startGpuHost } from '../../gpu-host/gpu-host.ts';
import { LOCAL_S3_CREDENTIALS } from '../../stack/local-s3.ts';
import { seedLabelledUploads, type UploadStyle } from '../../test/fixtures/labelled-uploads.ts';
import { startScratchS3 } from '../../test/support/scratch-s3.ts';
import { gateSetsLine, gateSummary } from './candidate-gate.ts';
import { loopConfig } from './loop-config.ts';
import { currentVersions } from './model-versions.ts';
import { describeOutcome } from './promotion.ts';
import { retrain } from './retrain.ts';

const ROOT = path.join(import.meta.dirname, '..', '..');
const BUCKET = 'pictor-demo';

const { values } = parseArgs({
  options: {
    uploads: { type: 'string', default: '600' },
    style: { type: 'string', default: 'sideways' },
    epochs: { type: 'string', default: '20' },
    fonts: { type: 'string', default: 'auto' },
    seed: { type: 'string', default: '4651' },
    'extra-share': { type: 'string', default: '0.2' },
    keep: { type: 'boolean', default: false },
  },
});
const style = values.style as UploadStyle;
const started = performance.now();
const log = (line: string) =>
  console.error(`[${((performance.now() - started) / 1000).toFixed(0)} s] ${line}`);

const dir = await mkdtemp(path.join(tmpdir(), 'loop-demo-'));
const repository = path.join(dir, 'models');
await cp(path.join(ROOT, 'models', 'digits'), path.join(repository, 'digits'), { recursive: true });
const s3 = await startScratchS3({
  bucket: BUCKET,
  allowedOrigins: ['http://127.0.0.1'],
  directory: path.join(dir, 's3'),
});
const host = await startGpuHost(
  readGpuHostConfig({
    GPU_HOST_PORT: '0',
    MODEL_REPOSITORY: repository,
    MODEL_CONTROL_MODE: 'explicit',
    LOG_LEVEL: 'silent',
  }),
  pino({ level: 'silent' }),
);
try {
  const { defaultVersion } = await currentVersions(repository, 'digits');
  const seeded = await seedLabelledUploads(s3.s3, BUCKET, {
    count: Number(values.uploads),
    style,
    seed: 2026,
    classifiedBy: defaultVersion,
  });
  log(
    `seeded ${seeded.uploadIds.length} labelled ${style} uploads (${seeded.blank} blank photos left out); ` +
      `v${defaultVersion.manifest.version} read ${seeded.modelCorrect} of them right`,
  );
  const config = loopConfig(
    {
      model: 'digits',
      repository,
      bucket: BUCKET,
      endpoint: s3.server.endpoint,
      'inference-url': host.url,
      'rebuild-app': 'off',
      by: 'npm run loop:demo',
    },
    'loop:demo',
    {
      S3_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
      S3_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
    },
  );
  const fonts = values.fonts === 'on' || values.fonts === 'off' ? values.fonts : 'auto';
  const result = await retrain(
    config,
    s3.s3,
    {
      epochs: Number(values.epochs),
      seed: Number(values.seed),
      staging: path.join(dir, 'staging'),
      promote: true,
      shuffleUserLabels: false,
      python: '/usr/bin/python3',
      trainTimeoutMs: 3 * 3_600_000,
      fonts,
      oodPerKind: 60,
      extraShare: Number(values['extra-share']),
    },
    log,
  );
  console.log(
    `\ngate: v${result.gate.candidate.manifest.version} (candidate) against v${result.gate.current.manifest.version} (current default)`,
  );
  console.log(gateSetsLine(result.gate));
  console.log(result.gate.table);
  if (result.outcome) for (const line of describeOutcome(result.outcome)) console.log(line);
  log('done');
  console.log(
    JSON.stringify({
      scenario: {
        style,
        uploads: seeded.uploadIds.length,
        epochs: Number(values.epochs),
        extraShare: Number(values['extra-share']),
      },
      ...gateSummary(
        result.gate,
        result.outcome ? { outcome: result.outcome.decision.outcome, key: result.outcome.key } : undefined,
      ),
    }),
  );
} finally {
  await host.close();
  await s3.close();
  if (values.keep) console.error(`kept ${dir}`);
  else await rm(dir, { recursive: true, force: true });
}
