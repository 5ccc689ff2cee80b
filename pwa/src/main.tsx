import './zod-without-eval.ts';
import { render } from 'preact';
import { App } from './app.tsx';
import { registerServiceWorker } from './service-worker-registration.ts';
import { startSyncTriggers } from './sync/sync-scheduler.ts';
import './styles.css';
import { whenIdle } from './when-idle.ts';

const root = document.getElementById('app');
if (!root) throw new Error('index.html has no #app element');
render(<App />, root);
registerServiceWorker();
// Sends what an earlier visit left queued; again on `online` and whenever the app becomes visible.
whenIdle(startSyncTriggers);
// Live History: fills in the server's verdict of every upload still waiting for one, however late.
// Its own chunk (zod, the WebSocket client), loaded when the page is idle.
whenIdle(() => void import('./sync/verdict-watcher.ts').then((watcher) => watcher.startVerdictWatcher()));
// `?bench`: exposes the on-device benchmark to bench/pwa.ts (a separate chunk, never loaded otherwise).
if (new URLSearchParams(location.search).has('bench')) void import('./bench-hook.ts');
