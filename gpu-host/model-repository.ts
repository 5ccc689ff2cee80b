import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { type ModelManifest, modelManifestSchema } from '../contracts/model-manifest.ts';

/** One version of one model found on disk. */
export interface ModelVersionFiles {
  readonly manifest: ModelManifest;
  readonly modelPath: string;
}

/**
 * Finds every `<repository>/<model>/<version>/` holding `model.onnx` and a valid `manifest.json`.
 * A folder that is incomplete or whose manifest is invalid is reported through `onSkip` and left out,
 * so one bad model cannot keep the others from being served. Adding a model needs no code change.
 */
export async function scanModelRepository(
  repository: string,
  onSkip: (folder: string, reason: string) => void = () => {},
): Promise<ModelVersionFiles[]> {
  const found: ModelVersionFiles[] = [];
  for (const model of await listDirectories(repository)) {
    for (const version of await listDirectories(path.join(repository, model))) {
      const folder = path.join(repository, model, version);
      const modelPath = path.join(folder, 'model.onnx');
      try {
        await stat(modelPath);
        const raw = JSON.parse(await readFile(path.join(folder, 'manifest.json'), 'utf8'));
        const manifest = modelManifestSchema.parse(raw);
        if (manifest.name !== model || manifest.version !== version) {
          throw new Error(
            `manifest says ${manifest.name}/${manifest.version}, folder is ${model}/${version}`,
          );
        }
        found.push({ manifest, modelPath });
      } catch (error) {
        onSkip(folder, error instanceof Error ? error.message : String(error));
      }
    }
  }
  return found;
}

async function listDirectories(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
}
