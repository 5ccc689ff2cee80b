import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { modelManifestSchema } from '../../contracts/model-manifest.ts';
import type { BundledModel, BundledModelIndex } from '../src/models/bundled-models.ts';

/** One model version found in the repository, with the bytes the build ships. */
export interface DiscoveredModel {
  readonly entry: BundledModel;
  readonly files: ReadonlyArray<{ readonly fileName: string; readonly source: Uint8Array }>;
}

/** The repository does not hold what its folders promise (a manifest that does not match, a wrong hash). */
export class ModelRepositoryError extends Error {
  override readonly name = 'ModelRepositoryError';
}

const MODEL_DIR = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const VERSION_DIR = /^[1-9][0-9]*$/;

/**
 * Finds every model in `repository` (`<name>/<version>/{model.onnx, manifest.json}`) and takes the
 * newest version of each (highest number with both files), checking the manifest against its folder
 * and the ONNX bytes against the manifest's SHA-256. A third model folder needs no code change.
 */
export async function discoverModels(repository: string): Promise<DiscoveredModel[]> {
  const found: DiscoveredModel[] = [];
  for (const name of (await subfolders(repository)).filter((n) => MODEL_DIR.test(n)).sort()) {
    const versions = (await subfolders(path.join(repository, name)))
      .filter((v) => VERSION_DIR.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const version of versions) {
      const dir = path.join(repository, name, version);
      const files = await readdir(dir);
      if (!files.includes('model.onnx') || !files.includes('manifest.json')) continue;
      found.push(await readModel(dir, name, version));
      break;
    }
  }
  return found;
}

/** The `/models.json` index of what `discoverModels` found. */
export function bundledIndex(models: readonly DiscoveredModel[]): BundledModelIndex {
  return { models: models.map((m) => m.entry) };
}

async function readModel(dir: string, name: string, version: string): Promise<DiscoveredModel> {
  const manifestBytes = await readFile(path.join(dir, 'manifest.json'));
  const parsed = modelManifestSchema.safeParse(JSON.parse(manifestBytes.toString('utf8')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ModelRepositoryError(
      `${dir}/manifest.json: ${issue?.path.join('.') || 'manifest'}: ${issue?.message}`,
    );
  }
  const manifest = parsed.data;
  if (manifest.name !== name || manifest.version !== version) {
    throw new ModelRepositoryError(
      `${dir}/manifest.json names ${manifest.name}/${manifest.version}, but lies in ${name}/${version}`,
    );
  }
  const onnx = await readFile(path.join(dir, 'model.onnx'));
  const sha256 = createHash('sha256').update(onnx).digest('hex');
  if (sha256 !== manifest.training.modelSha256) {
    throw new ModelRepositoryError(
      `${dir}/model.onnx has SHA-256 ${sha256}; its manifest says ${manifest.training.modelSha256}`,
    );
  }
  const base = `models/${name}/${version}`;
  return {
    entry: {
      name,
      version,
      displayName: manifest.displayName,
      labels: manifest.labels,
      preprocessing: manifest.preprocessing,
      input: { name: manifest.input.name, dims: manifest.input.dims },
      output: { name: manifest.output.name },
      heldOutAccuracy: manifest.training.heldOutAccuracy,
      ...(manifest.outOfDistribution && {
        outOfDistribution: {
          subject: manifest.outOfDistribution.subject,
          threshold: manifest.outOfDistribution.threshold,
        },
      }),
      sha256,
      bytes: onnx.length,
      modelUrl: `/${base}/model.onnx`,
    },
    files: [
      { fileName: `${base}/model.onnx`, source: onnx },
      { fileName: `${base}/manifest.json`, source: manifestBytes },
    ],
  };
}

async function subfolders(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
