import { defaultVersion } from '../../contracts/serving-policy.ts';
import { type ModelVersionFiles, scanModelRepository } from '../../platform/model-repository.ts';
import { readServingPolicy } from '../../platform/serving-policy-file.ts';
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

/**
 * Finds every model in `repository` (platform/model-repository.ts, the reader the inference host
 * uses) and takes each one's default version: the one its `serving.json` names (the learning loop's
 * promotion or rollback), else the newest valid one, the same choice the inference host makes for a
 * request without a version. An incomplete folder (a version being written) is passed over; an invalid
 * one (a manifest that does not match its folder, bytes that do not match the manifest's SHA-256), an
 * invalid serving.json, or one naming a version that is not there, fails the build: the host would
 * fall back to the newest and keep serving, but an app must not ship a model nobody chose.
 * A third model folder needs no code change.
 */
export async function discoverModels(repository: string): Promise<DiscoveredModel[]> {
  const scan = await scanModelRepository(repository).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { found: [], skipped: [] };
    throw error;
  });
  const invalid = scan.skipped.filter((s) => s.kind === 'invalid');
  if (invalid.length > 0) throw new ModelRepositoryError(invalid.map((s) => s.reason).join('; '));
  const names = [...new Set(scan.found.map((f) => f.manifest.name))].sort();
  const chosen: ModelVersionFiles[] = [];
  for (const name of names) {
    const versions = scan.found.filter((f) => f.manifest.name === name);
    const { policy, error } = await readServingPolicy(repository, name);
    if (error) throw new ModelRepositoryError(error);
    const version = defaultVersion(
      versions.map((f) => f.manifest.version),
      policy,
    );
    if (policy && version !== policy.defaultVersion) {
      throw new ModelRepositoryError(
        `${name}/serving.json names version ${policy.defaultVersion}, which is not a complete, valid version in ${repository}/${name}/`,
      );
    }
    chosen.push(versions.find((f) => f.manifest.version === version) as ModelVersionFiles);
  }
  return chosen.map(bundled);
}

/** The `/models.json` index of what `discoverModels` found. */
export function bundledIndex(models: readonly DiscoveredModel[]): BundledModelIndex {
  return { models: models.map((m) => m.entry) };
}

function bundled({ manifest, manifestBytes, modelBytes }: ModelVersionFiles): DiscoveredModel {
  const { name, version } = manifest;
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
      sha256: manifest.training.modelSha256,
      bytes: modelBytes.length,
      modelUrl: `/${base}/model.onnx`,
    },
    files: [
      { fileName: `${base}/model.onnx`, source: modelBytes },
      { fileName: `${base}/manifest.json`, source: manifestBytes },
    ],
  };
}
