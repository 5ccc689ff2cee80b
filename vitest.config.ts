import { defineConfig } from 'vitest/config';

/**
 * The test tiers, one Vitest project each (`npm run test:unit|test:slow|test:integration`; `npm test`
 * runs them all). A new test file lands in `unit` unless it matches a slow or integration pattern below:
 * put it there when it starts servers or processes, synthesises the CDK stack, or sweeps a data set.
 */

/** Real servers on free ports, real models, child processes: test/integration, the gpu-host's own, and the rest. */
const INTEGRATION = [
  'test/integration/**/*.test.ts',
  'gpu-host/test/**/*.test.ts',
  // A real HTTP server; closing it waits out a keep-alive connection (about 5 s).
  'pwa/src/inference/fetch-with-progress.test.ts',
];

/**
 * Pure or local, but seconds to minutes each: model-quality sweeps over thousands of images, the
 * accuracy job's Hadoop-Streaming stand-ins and bundles (child processes, a local S3), property sweeps
 * of the MapReduce pipeline, and the deploy tests (CDK synthesis, bundles, start-up scripts).
 */
const SLOW = [
  'contracts/preprocess.test.ts',
  'mr/pipeline.test.ts',
  'mr/local-accuracy-job.test.ts',
  'mr/cli.test.ts',
  'mr/streaming-contract.test.ts',
  'mr/emr/finalize-report.test.ts',
  'mr/local/local-s3-endpoint.test.ts',
  // CDK synthesis, the release bundle, the hosts' start-up scripts run in a shell.
  'deploy/test/**/*.test.ts',
];

const NOT_VITEST = ['node_modules/**', 'e2e/**', '**/dist/**', '.data/**'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start real servers; two cores are better spent on fewer, fuller workers.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['**/*.test.ts'], exclude: [...NOT_VITEST, ...INTEGRATION, ...SLOW] },
      },
      { extends: true, test: { name: 'slow', include: SLOW, exclude: NOT_VITEST } },
      { extends: true, test: { name: 'integration', include: INTEGRATION, exclude: NOT_VITEST } },
    ],
  },
});
