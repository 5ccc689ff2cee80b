import { scanModelRepository } from '../platform/model-repository.ts';
import type { ManifestLabels } from './class-order.ts';

/**
 * The class lists of every valid model version under `modelsDir` (platform/model-repository.ts), so
 * that confusion matrices follow the model's own label order. A missing folder gives none; an invalid
 * version is left out (its model's labels are then ordered numeric-aware).
 */
export async function loadManifestLabels(modelsDir: string): Promise<ManifestLabels> {
  const scan = await scanModelRepository(modelsDir).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { found: [], skipped: [] };
    throw error;
  });
  const result: Record<string, Record<string, readonly string[]>> = {};
  for (const { manifest } of scan.found) {
    result[manifest.name] = { ...result[manifest.name], [manifest.version]: manifest.labels };
  }
  return result;
}
