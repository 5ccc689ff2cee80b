import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UWS_BUILDS } from '../../platform/uws.ts';
import { buildRelease, LAMBDA_REDRIVE_FILE, type ReleaseArtifacts } from '../lib/release-bundle.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const rootManifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};

/** What the deployed functions are given (deploy/lib/classify-function.ts): production has no defaults for these. */
const ADDRESSES = {
  INFERENCE_URL: 'http://inference.internal:8000',
  GATEWAY_URL: 'http://gateway.internal:8080',
};

describe('the release', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'pictor-release-test-'));
  let release: ReleaseArtifacts;
  beforeAll(async () => {
    // A stand-in for `npm run build`: the gateway only copies the folder.
    const publicDir = join(scratch, 'public');
    mkdirSync(publicDir);
    writeFileSync(join(publicDir, 'index.html'), '<!doctype html><title>Pictor</title>');
    release = await buildRelease({ repoRoot, outDir: join(scratch, 'out'), publicDir });
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('bundles a Lambda handler that loads as ESM and answers a non-S3 event with no outcomes', () => {
    // A child Node process imports the bundle as Lambda would: no test runner transforming it.
    const script = `
      const { handler } = await import(${JSON.stringify(pathToFileURL(join(release.lambdaDir, 'index.mjs')).href)});
      const context = { awsRequestId: 'test', getRemainingTimeInMillis: () => 30000 };
      process.stdout.write(JSON.stringify(await handler({ hello: 'world' }, context)));`;
    const stdout = execFileSync(process.execPath, ['--no-warnings', '--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH, RESULT_SIGNING_SECRET: 'x'.repeat(32), ...ADDRESSES },
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
    expect(JSON.parse(stdout)).toEqual({ outcomes: [] });
  });

  it('bundles the re-drive handler beside it, which loads as ESM and names S3_BUCKET when it is missing', () => {
    const script = `
      const { handler } = await import(${JSON.stringify(pathToFileURL(join(release.lambdaDir, LAMBDA_REDRIVE_FILE)).href)});
      const context = { awsRequestId: 'test', getRemainingTimeInMillis: () => 30000 };
      try { await handler({}, context); process.stdout.write('no error'); }
      catch (error) { process.stdout.write(String(error.message)); }`;
    const stdout = execFileSync(process.execPath, ['--no-warnings', '--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH, RESULT_SIGNING_SECRET: 'x'.repeat(32), ...ADDRESSES },
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
    expect(stdout).toContain('S3_BUCKET');
  });

  it('leaves the hosts only production dependencies to install, the native ones among them', () => {
    const installable = Object.keys(rootManifest.dependencies);
    for (const imports of Object.values(release.hostPackageImports)) {
      expect(imports.filter((name) => !installable.includes(name))).toEqual([]);
    }
    expect(release.hostPackageImports['gpu-host']).toEqual(
      expect.arrayContaining(['onnxruntime-node', 'sharp']),
    );
    // uWebSockets.js is loaded through platform/uws.ts's require, by name: both builds stay external.
    const gateway = readFileSync(join(release.gatewayDir, 'dist/gateway.mjs'), 'utf8');
    for (const build of UWS_BUILDS) {
      expect(gateway).toContain(JSON.stringify(build));
      expect(Object.keys(rootManifest.dependencies)).toContain(build);
    }
  });

  it('ships a manifest npm ci accepts with the lock file, without dev scripts, allowing the CUDA download', () => {
    for (const dir of [release.gpuHostDir, release.gatewayDir]) {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      expect(manifest.dependencies).toEqual(rootManifest.dependencies);
      expect(manifest.scripts).toBeUndefined();
      expect(manifest.allowScripts['onnxruntime-node']).toBe(true);
      expect(readFileSync(join(dir, 'package-lock.json'), 'utf8')).toBe(
        readFileSync(join(repoRoot, 'package-lock.json'), 'utf8'),
      );
    }
  });

  it('puts the models beside the gpu-host and the app beside the gateway', () => {
    expect(existsSync(join(release.gpuHostDir, 'dist/gpu-host.mjs'))).toBe(true);
    expect(existsSync(join(release.gpuHostDir, 'models/digits/1/model.onnx'))).toBe(true);
    expect(existsSync(join(release.gpuHostDir, 'models/digits/1/manifest.json'))).toBe(true);
    expect(existsSync(join(release.gpuHostDir, 'models/digits/1/golden.json'))).toBe(false);
    expect(existsSync(join(release.gatewayDir, 'dist/gateway.mjs'))).toBe(true);
    expect(existsSync(join(release.gatewayDir, 'pwa/dist/index.html'))).toBe(true);
  });

  it('refuses to build without the built app', async () => {
    await expect(
      buildRelease({ repoRoot, outDir: join(scratch, 'refused'), publicDir: join(scratch, 'missing') }),
    ).rejects.toThrow(/npm run build/);
  });
});
