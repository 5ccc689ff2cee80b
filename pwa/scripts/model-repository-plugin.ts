import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Plugin } from 'vite';
import { BUNDLED_MODELS_URL } from '../src/models/bundled-models.ts';
import { bundledIndex, type DiscoveredModel, discoverModels } from './model-repository.ts';

/**
 * Ships the model repository inside the app: at build time every model's newest version is emitted as
 * `models/<name>/<version>/{model.onnx, manifest.json}` with a `models.json` index (which the service
 * worker then precaches); the dev server serves the same paths from the repository.
 */
export function modelRepositoryPlugin(options: { readonly repository: string }): Plugin {
  let models: DiscoveredModel[] = [];
  return {
    name: 'pictor:model-repository',
    async buildStart() {
      models = await discoverModels(options.repository);
      if (models.length === 0) this.warn(`no models in ${options.repository}: on-device inference is off`);
      for (const model of models) {
        this.addWatchFile(
          path.join(options.repository, model.entry.name, model.entry.version, 'manifest.json'),
        );
      }
    },
    generateBundle() {
      for (const model of models) {
        for (const file of model.files)
          this.emitFile({ type: 'asset', fileName: file.fileName, source: file.source });
      }
      this.emitFile({
        type: 'asset',
        fileName: BUNDLED_MODELS_URL.slice(1),
        source: `${JSON.stringify(bundledIndex(models), null, 2)}\n`,
      });
    },
    configureServer(server) {
      server.middlewares.use(async (req, res, next) => {
        const url = req.url?.split('?')[0] ?? '';
        if (url === BUNDLED_MODELS_URL) {
          models = await discoverModels(options.repository);
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify(bundledIndex(models)));
          return;
        }
        const match = /^\/models\/([a-z0-9_-]+)\/([0-9]+)\/(model\.onnx|manifest\.json)$/.exec(url);
        if (!match) return next();
        const [, name = '', version = '', file = ''] = match;
        try {
          res.end(await readFile(path.join(options.repository, name, version, file)));
        } catch {
          next();
        }
      });
    },
  };
}
