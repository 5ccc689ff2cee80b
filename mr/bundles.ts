import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, stop } from 'esbuild';

/** The job's programs, each bundled into one self-contained `<name>.js` that `node` runs anywhere. */
export const TASK_PROGRAMS = [
  'join-mapper',
  'join-reducer',
  'totals-mapper',
  'merge-counts',
  'split-reader',
  'partitioner',
  'finalize-report',
] as const;
export type TaskProgram = (typeof TASK_PROGRAMS)[number];

/** The streaming tasks that run on a cluster (the others are the local runner's own plumbing). */
export const CLUSTER_PROGRAMS = ['join-mapper', 'join-reducer', 'totals-mapper', 'merge-counts'] as const;

export type Bundles = Readonly<Record<TaskProgram, string>>;

const STREAMING_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'streaming');

/**
 * Bundles the task programs with esbuild into `outDir` and returns their paths. CommonJS, so that
 * `node mapper.js` runs them in a task's working directory with no package.json around.
 */
export async function buildBundles(
  outDir: string,
  programs: readonly TaskProgram[] = TASK_PROGRAMS,
): Promise<Bundles> {
  await build({
    entryPoints: programs.map((name) => ({ in: path.join(STREAMING_DIR, `${name}.ts`), out: name })),
    outdir: outDir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    legalComments: 'none',
    logLevel: 'silent',
  });
  return Object.fromEntries(TASK_PROGRAMS.map((name) => [name, path.join(outDir, `${name}.js`)])) as Record<
    TaskProgram,
    string
  >;
}

/**
 * Ends esbuild's service process (about 100 MB resident), for a process that bundles once and then
 * runs for a long time, like the CLI. A later build would start it again.
 */
export async function stopBundler(): Promise<void> {
  await stop();
}
