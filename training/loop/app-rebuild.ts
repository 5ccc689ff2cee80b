import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.join(import.meta.dirname, '..', '..');

/**
 * Whether to rebuild the app after the default changed: `on`/`off` as asked; `auto` when the loop
 * changed the repository the app is built from (`models/`) and a build exists (pwa/dist): the service
 * worker's update then delivers the new on-device model. A scratch repository never triggers it.
 */
export function shouldRebuildApp(
  choice: 'auto' | 'on' | 'off',
  repository: string,
  root: string = ROOT,
): boolean {
  if (choice !== 'auto') return choice === 'on';
  return (
    path.resolve(repository) === path.join(root, 'models') &&
    existsSync(path.join(root, 'pwa', 'dist', 'index.html'))
  );
}

/** `npm run build` in the repository root (bounded by `timeoutMs`); resolves with its exit status. */
export function rebuildApp(
  timeoutMs = 600_000,
  root: string = ROOT,
): Promise<{ ok: boolean; detail: string }> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', 'build'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ ok: false, detail: error.message });
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(
        code === 0
          ? { ok: true, detail: 'npm run build done' }
          : { ok: false, detail: `npm run build ended with ${signal ?? `exit status ${code}`}` },
      );
    });
  });
}
