import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
/** The gateway the dev server forwards API and WebSocket calls to (`npm start` runs it on 8080). */
const gateway = process.env.PICTOR_GATEWAY ?? 'http://127.0.0.1:8080';

// `npm run build` (from the repository root) writes pwa/dist, which the gateway serves.
export default defineConfig({
  root,
  plugins: [preact()],
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
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
