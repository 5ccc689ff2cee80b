import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/test-stack.ts';

/** Writes a stand-in build of the app: index.html naming its chunk, sw.js, the chunk and a model. */
async function writeBuild(dir: string, build: string, modelVersion: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(path.join(dir, 'assets'), { recursive: true });
  await mkdir(path.join(dir, 'models', 'digits', modelVersion), { recursive: true });
  await writeFile(path.join(dir, 'assets', `app-${build}.js`), `console.log(${JSON.stringify(build)});`);
  await writeFile(path.join(dir, 'models', 'digits', modelVersion, 'model.onnx'), `model ${modelVersion}`);
  await writeFile(path.join(dir, 'sw.js'), `// build ${build}`);
  await writeFile(
    path.join(dir, 'index.html'),
    `<!doctype html><script src="/assets/app-${build}.js"></script>`,
  );
}

describe('an app rebuilt in place while the gateway runs', () => {
  let dataDir: string;
  let publicDir: string;
  let stack: TestStack;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'pictor-app-'));
    publicDir = path.join(dataDir, 'dist');
    await writeBuild(publicDir, 'a', '1');
    stack = await startTestStack({ publicDir });
  });
  afterAll(async () => {
    await stack?.dispose();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const get = async (url: string) => {
    const response = await fetch(`${stack.gatewayUrl}${url}`);
    return { status: response.status, text: await response.text() };
  };

  it('is served without a restart, the previous build kept one build longer for pages still on it', async () => {
    expect((await get('/sw.js')).text).toBe('// build a');

    await writeBuild(publicDir, 'b', '2');
    await expect.poll(async () => (await get('/sw.js')).text, { timeout: 30_000 }).toBe('// build b');
    expect((await get('/')).text).toContain('/assets/app-b.js');
    expect(await get('/assets/app-b.js')).toEqual({ status: 200, text: 'console.log("b");' });
    expect(await get('/models/digits/2/model.onnx')).toEqual({ status: 200, text: 'model 2' });
    // A page still running build a loads its chunk and its model.
    expect(await get('/assets/app-a.js')).toEqual({ status: 200, text: 'console.log("a");' });
    expect(await get('/models/digits/1/model.onnx')).toEqual({ status: 200, text: 'model 1' });

    await writeBuild(publicDir, 'c', '3');
    await expect.poll(async () => (await get('/sw.js')).text, { timeout: 30_000 }).toBe('// build c');
    expect((await get('/assets/app-b.js')).status).toBe(200);
    expect((await get('/assets/app-a.js')).status).toBe(404);
    expect((await get('/models/digits/1/model.onnx')).status).toBe(404);
  });
});
