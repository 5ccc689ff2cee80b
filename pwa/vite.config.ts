import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig, type Plugin } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import { modelRepositoryPlugin } from './scripts/model-repository-plugin.ts';
import { formatKB, measureBuild, type SizedFile, totalGzip } from './scripts/shell-size.ts';

const root = fileURLToPath(new URL('.', import.meta.url));
/** Where the build goes; `PICTOR_OUT_DIR` builds elsewhere (the e2e test of a model update builds twice). */
const outDir = process.env.PICTOR_OUT_DIR
  ? path.resolve(process.env.PICTOR_OUT_DIR)
  : fileURLToPath(new URL('./dist', import.meta.url));
/**
 * The model repository; each model's default version (its serving.json's, else the newest) ships in
 * the app. `PICTOR_MODEL_REPOSITORY` builds from another one.
 */
const modelRepository = process.env.PICTOR_MODEL_REPOSITORY
  ? path.resolve(process.env.PICTOR_MODEL_REPOSITORY)
  : fileURLToPath(new URL('../models', import.meta.url));
/** The gateway the dev server forwards API and WebSocket calls to (`npm start` runs it on 8080). */
const gateway = process.env.PICTOR_GATEWAY ?? 'http://127.0.0.1:8080';
/** onnxruntime-web's single-threaded WASM is ~14 MB; Workbox refuses files over 2 MiB by default. */
const MAX_PRECACHE_FILE_BYTES = 32 * 1024 * 1024;
/** The WASM the worker downloads; its size is the total of the first visit's progress bar. */
const ORT_WASM_BYTES = statSync(
  createRequire(import.meta.url).resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'),
).size;

// `npm run build` (from the repository root) writes pwa/dist, which the gateway serves.
export default defineConfig({
  root,
  define: { __ORT_WASM_BYTES__: JSON.stringify(ORT_WASM_BYTES) },
  plugins: [
    preact(),
    modelRepositoryPlugin({ repository: modelRepository }),
    VitePWA({
      // Our own service worker (pwa/src/sw.ts): Workbox precaching plus the label sync engine.
      strategies: 'injectManifest',
      srcDir: 'src',
      filename: 'sw.ts',
      // Registered by pwa/src/service-worker-registration.ts, after the first paint.
      injectRegister: false,
      // The manifest's icons are caught by the precache glob below; listing them again would duplicate them.
      includeManifestIcons: false,
      manifest: {
        id: '/',
        name: 'Pictor: read handwriting and clothes',
        short_name: 'Pictor',
        description:
          'Photograph a handwritten digit or a piece of clothing: Pictor reads it on your phone, offline too, and checks with the server.',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        orientation: 'portrait',
        background_color: '#f6f7fb',
        theme_color: '#1d4ed8',
        categories: ['utilities', 'education'],
        icons: [
          { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
          { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
          { src: '/icons/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      injectManifest: {
        // The app shell, the inference worker, onnxruntime's JS, the icons and the model index (the web
        // manifest is added by the plugin itself). Not the WASM and the models: megabytes the worker is
        // downloading at the same moment on a first visit; sw.ts caches them at run time instead.
        globPatterns: ['**/*.{html,js,css,json,png}'],
        globIgnores: ['**/*.map'],
        maximumFileSizeToCacheInBytes: MAX_PRECACHE_FILE_BYTES,
        // A classic script: registered without `type: 'module'`, which older Safari lacks in service workers.
        rollupFormat: 'iife',
      },
    }),
    buildSizeReport(),
  ],
  // Module workers, so that the inference worker can load onnxruntime-web lazily as its own chunk.
  worker: { format: 'es' },
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
  },
  server: {
    proxy: {
      '/api': gateway,
      '/ws': { target: gateway.replace(/^http/, 'ws'), ws: true },
    },
  },
});

/** Prints what the first load costs (the shell, gzipped) and what loads later, after every build. */
function buildSizeReport(): Plugin {
  return {
    name: 'pictor:build-size-report',
    apply: 'build',
    closeBundle: {
      order: 'post',
      sequential: true,
      async handler() {
        const sizes = await measureBuild(outDir);
        const line = (what: string, files: readonly SizedFile[]) =>
          `  ${what.padEnd(44)} ${formatKB(totalGzip(files)).padStart(10)} gzipped (${files.length} files)`;
        console.log(
          [
            'pictor build sizes:',
            line('first load: app shell (HTML, entry JS, CSS)', sizes.shell),
            line('after first paint: app JS and worker', sizes.lazy),
            line('on first inference: onnxruntime JS + WASM', sizes.runtime),
            line('models', sizes.models),
          ].join('\n'),
        );
      },
    },
  };
}
