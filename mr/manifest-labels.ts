import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { modelManifestSchema } from '../contracts/model-manifest.ts';
import type { ManifestLabels } from './class-order.ts';

/**
 * The class lists of every `models/<name>/<version>/manifest.json` under `modelsDir`, so that confusion
 * matrices follow the model's own label order. A missing folder gives none; a manifest that does not
 * parse is skipped (its model's labels are then ordered numeric-aware).
 */
export async function loadManifestLabels(modelsDir: string): Promise<ManifestLabels> {
  const result: Record<string, Record<string, readonly string[]>> = {};
  const names = await readdir(modelsDir).catch(() => [] as string[]);
  for (const name of names) {
    const versions = await readdir(path.join(modelsDir, name)).catch(() => [] as string[]);
    for (const version of versions) {
      const raw = await readFile(path.join(modelsDir, name, version, 'manifest.json'), 'utf8').catch(
        () => null,
      );
      if (raw === null) continue;
      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch {
        continue;
      }
      const parsed = modelManifestSchema.safeParse(json);
      if (!parsed.success) continue;
      result[parsed.data.name] ??= {};
      (result[parsed.data.name] as Record<string, readonly string[]>)[parsed.data.version] =
        parsed.data.labels;
    }
  }
  return result;
}
