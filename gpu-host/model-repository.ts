import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { type ModelManifest, modelManifestSchema } from '../contracts/model-manifest.ts';

/** One version of one model found on disk. */
export interface ModelVersionFiles {
  readonly manifest: ModelManifest;
  readonly modelPath: string;
}

/** A version folder that cannot be served, and why. */
export interface SkippedVersion {
  readonly model: string;
  readonly version: string;
  readonly folder: string;
  readonly reason: string;
}

/** What a scan found: the versions to load and the folders left out. */
export interface RepositoryScan {
  readonly found: ModelVersionFiles[];
  readonly skipped: SkippedVersion[];
}

/**
 * Finds every `<repository>/<model>/<version>/` holding `model.onnx` and a valid `manifest.json`
 * (like Triton's model repository, with our manifest as the config). A folder that is incomplete or
 * whose manifest is invalid is reported as skipped, so one bad model cannot keep the others from being
 * served. Adding a model or a version needs no code change.
 */
export async function scanModelRepository(repository: string): Promise<RepositoryScan> {
  const scans = await Promise.all((await listDirectories(repository)).map((m) => scanModel(repository, m)));
  return { found: scans.flatMap((s) => s.found), skipped: scans.flatMap((s) => s.skipped) };
}

/** Scans one model's folder, `<repository>/<model>/`; throws when the folder does not exist. */
export async function scanModel(repository: string, model: string): Promise<RepositoryScan> {
  const found: ModelVersionFiles[] = [];
  const skipped: SkippedVersion[] = [];
  for (const version of await listDirectories(path.join(repository, model))) {
    const folder = path.join(repository, model, version);
    const modelPath = path.join(folder, 'model.onnx');
    try {
      await stat(modelPath);
      const raw = JSON.parse(await readFile(path.join(folder, 'manifest.json'), 'utf8'));
      const manifest = modelManifestSchema.parse(raw);
      if (manifest.name !== model || manifest.version !== version) {
        throw new Error(`manifest says ${manifest.name}/${manifest.version}, folder is ${model}/${version}`);
      }
      found.push({ manifest, modelPath });
    } catch (error) {
      skipped.push({
        model,
        version,
        folder,
        reason: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return { found, skipped };
}

async function listDirectories(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
}
