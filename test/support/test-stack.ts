import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type LocalStackOptions, type RunningLocalStack, startLocalStack } from '../../stack/local-stack.ts';

export interface TestStack extends RunningLocalStack {
  /** The gateway's base URL, e.g. http://127.0.0.1:41234 */
  readonly gatewayUrl: string;
  /** Stops the stack and deletes its data. */
  dispose(): Promise<void>;
}

/**
 * The whole local stack on free ports with its own throw-away data folder: real S3 server,
 * real inference host with the committed models, real gateway, real Lambda handler. The one stack
 * fixture of the integration tests, the Playwright tests (e2e/stack-fixture.ts) and the benchmarks
 * (bench/pwa.ts); each overrides what it needs (the built app, log level, retry delays).
 */
export async function startTestStack(overrides: Partial<LocalStackOptions> = {}): Promise<TestStack> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'pictor-test-'));
  const stack = await startLocalStack({
    s3Port: 0,
    gpuHostPort: 0,
    gatewayPort: 0,
    dataDir,
    publicDir: path.join(dataDir, 'no-app'),
    appOrigins: ['http://127.0.0.1:*', 'http://localhost:*'],
    lambdaRetryDelaysMs: [50, 100],
    lambdaTimeoutMs: 15_000,
    logLevel: 'silent',
    ...overrides,
  });
  return {
    ...stack,
    gatewayUrl: stack.gateway.url,
    async dispose() {
      await stack.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
