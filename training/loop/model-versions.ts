import { randomUUID } from 'node:crypto';
import { cp, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { defaultVersion } from '../../contracts/serving-policy.ts';
import { type ModelVersionFiles, scanModel } from '../../platform/model-repository.ts';
import { readServingPolicy } from '../../platform/serving-policy-file.ts';

/** The versions of `model` in `repository` that can be served, and which of them is the default. */
export async function currentVersions(
  repository: string,
  model: string,
): Promise<{ versions: ModelVersionFiles[]; defaultVersion: ModelVersionFiles; all: string[] }> {
  const scan = await scanModel(repository, model);
  // An unreadable policy makes the hosts serve the newest version; the loop must agree with them.
  const { policy, error } = await readServingPolicy(repository, model);
  if (error) console.error(`warning: ${error}; the newest version counts as the default`);
  const ready = scan.found.map((f) => f.manifest.version);
  const chosen = defaultVersion(ready, policy);
  const files = scan.found.find((f) => f.manifest.version === chosen);
  if (!files) throw new Error(`${path.join(repository, model)} holds no servable version of ${model}`);
  // Incomplete or invalid folders still take their number: a new version never reuses one.
  const all = [...ready, ...scan.skipped.map((s) => s.version)];
  return { versions: scan.found, defaultVersion: files, all };
}

/** The next version number: one above every version folder of the model, servable or not. */
export function nextVersion(all: readonly string[]): string {
  return String(Math.max(0, ...all.map(Number)) + 1);
}

/** The version folder `candidateDir` (`…/<model>/<version>/`), checked as the host would check it. */
export async function readCandidate(candidateDir: string): Promise<ModelVersionFiles> {
  const folder = path.resolve(candidateDir);
  const version = path.basename(folder);
  const model = path.basename(path.dirname(folder));
  const scan = await scanModel(path.dirname(path.dirname(folder)), model);
  const found = scan.found.find((f) => f.manifest.version === version);
  if (found) return found;
  const skip = scan.skipped.find((s) => s.version === version);
  throw new Error(
    `${folder} is not a servable model version${skip ? `: ${skip.reason}` : ' (expected <…>/<model>/<version>/ with model.onnx and manifest.json)'}`,
  );
}

/**
 * Copies the candidate's folder into `<repository>/<model>/<version>/` atomically: into a hidden
 * temporary folder beside it (which the hosts' scan ignores), then one rename. Refuses to replace a
 * version that exists: versions are immutable once served.
 */
export async function installVersion(candidate: ModelVersionFiles, repository: string): Promise<string> {
  const { name, version } = candidate.manifest;
  const target = path.join(repository, name, version);
  if (await exists(target)) throw new Error(`${target} exists already: a version is never overwritten`);
  const temporary = path.join(repository, name, `.incoming-${version}-${randomUUID()}`);
  try {
    await cp(candidate.folder, temporary, { recursive: true });
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    throw error;
  }
  return target;
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}
