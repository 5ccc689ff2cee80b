import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { basename, join } from 'node:path';
import { build, type Metafile } from 'esbuild';

/** What the stack deploys as code: one folder per deployable, each becomes a CDK asset. */
export interface ReleaseArtifacts {
  /**
   * `index.mjs` (lambda/handler.ts, the S3-triggered classifier) and `redrive.mjs`
   * (lambda/redrive-handler.ts, the scheduled re-drive), each with every dependency bundled in.
   */
  readonly lambdaDir: string;
  /** `dist/gpu-host.mjs`, `models/`, `package.json` + `package-lock.json` for `npm ci --omit=dev`. */
  readonly gpuHostDir: string;
  /** `dist/gateway.mjs`, `pwa/dist/`, `package.json` + `package-lock.json` for `npm ci --omit=dev`. */
  readonly gatewayDir: string;
  /** The npm packages each host bundle imports at run time (installed on the instance, not bundled). */
  readonly hostPackageImports: Readonly<Record<'gpu-host' | 'gateway', readonly string[]>>;
}

export interface BuildReleaseOptions {
  readonly repoRoot: string;
  /** Emptied, then filled; keep it git-ignored (the app uses `dist/deploy`). */
  readonly outDir: string;
  /** The built app (`npm run build` writes `pwa/dist`); the gateway serves it. */
  readonly publicDir: string;
}

const NODE_TARGET = 'node20';

/**
 * Bundles the three deployables with esbuild and lays out their release folders.
 *
 * The Lambda bundle carries everything, the pinned AWS SDK included (the runtime's SDK is whatever
 * version Lambda ships that week). The host bundles carry only this repository's TypeScript: their
 * npm packages — native ones (onnxruntime-node, sharp, uWebSockets.js) among them — are installed on
 * the instance from the lock file, so the same versions run there as in the tests.
 */
export async function buildRelease(options: BuildReleaseOptions): Promise<ReleaseArtifacts> {
  const { repoRoot, outDir, publicDir } = options;
  if (!existsSync(join(publicDir, 'index.html'))) {
    throw new Error(`no built app at ${publicDir}: run \`npm run build\` before synthesising`);
  }
  rmSync(outDir, { recursive: true, force: true });
  const lambdaDir = join(outDir, 'lambda');
  const gpuHostDir = join(outDir, 'gpu-host');
  const gatewayDir = join(outDir, 'gateway');

  const [, gpuHostMeta, gatewayMeta] = await Promise.all([
    Promise.all([
      bundleLambda(repoRoot, 'lambda/handler.ts', join(lambdaDir, 'index.mjs')),
      bundleLambda(repoRoot, 'lambda/redrive-handler.ts', join(lambdaDir, LAMBDA_REDRIVE_FILE)),
    ]),
    bundleHost(repoRoot, 'gpu-host/main.ts', join(gpuHostDir, 'dist/gpu-host.mjs')),
    bundleHost(repoRoot, 'gateway/main.ts', join(gatewayDir, 'dist/gateway.mjs')),
  ]);

  for (const dir of [gpuHostDir, gatewayDir]) writeInstallManifest(repoRoot, dir);
  cpSync(join(repoRoot, 'models'), join(gpuHostDir, 'models'), {
    recursive: true,
    // golden.json is test data; the host needs the model and its manifest.
    filter: (source) => basename(source) !== 'golden.json',
  });
  cpSync(publicDir, join(gatewayDir, 'pwa/dist'), { recursive: true });

  return {
    lambdaDir,
    gpuHostDir,
    gatewayDir,
    hostPackageImports: { 'gpu-host': packageImports(gpuHostMeta), gateway: packageImports(gatewayMeta) },
  };
}

/** The re-drive function's file beside `index.mjs` (handler `redrive.handler`). */
export const LAMBDA_REDRIVE_FILE = 'redrive.mjs';

/** One self-contained ESM file: the pinned AWS SDK and every other dependency inside. */
async function bundleLambda(repoRoot: string, entry: string, outfile: string): Promise<void> {
  await build({
    entryPoints: [join(repoRoot, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    target: NODE_TARGET,
    format: 'esm',
    // Prefer packages' ESM builds; CommonJS ones inside an ESM bundle still need `require`.
    mainFields: ['module', 'main'],
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
    legalComments: 'none',
    logLevel: 'warning',
  });
}

async function bundleHost(repoRoot: string, entry: string, outfile: string): Promise<Metafile> {
  const result = await build({
    entryPoints: [join(repoRoot, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    target: NODE_TARGET,
    format: 'esm',
    packages: 'external',
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  return result.metafile;
}

/**
 * The root package.json (dependencies exactly as locked, so `npm ci` accepts the lock file) without
 * its scripts — `postinstall` runs patch-package, a dev tool — and with onnxruntime-node's install
 * script allowed: it is what downloads the CUDA provider on a GPU instance.
 */
function writeInstallManifest(repoRoot: string, dir: string): void {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as Record<string, unknown>;
  const manifest = {
    name: pkg.name,
    version: pkg.version,
    private: true,
    type: 'module',
    engines: pkg.engines,
    dependencies: pkg.dependencies,
    devDependencies: pkg.devDependencies,
    allowScripts: { ...(pkg.allowScripts as Record<string, boolean> | undefined), 'onnxruntime-node': true },
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  cpSync(join(repoRoot, 'package-lock.json'), join(dir, 'package-lock.json'));
}

/** Bare package names a bundle leaves to node_modules (`node:` built-ins excluded), sorted. */
function packageImports(metafile: Metafile): string[] {
  const names = new Set<string>();
  for (const output of Object.values(metafile.outputs)) {
    for (const { path, external } of output.imports) {
      if (!external || path.startsWith('node:') || path.startsWith('.') || builtinModules.includes(path)) {
        continue;
      }
      const parts = path.split('/');
      names.add(path.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? path));
    }
  }
  return [...names].sort();
}
