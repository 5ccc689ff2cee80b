import './zod-without-eval.ts';
import { render } from 'preact';
import { App } from './app.tsx';
import { registerServiceWorker } from './service-worker-registration.ts';
import { startSyncTriggers } from './sync/sync-scheduler.ts';
import './styles.css';

const root = document.getElementById('app');
if (!root) throw new Error('index.html has no #app element');
render(<App />, root);
registerServiceWorker();
// Sends what an earlier visit left queued; again on `online` and whenever the app becomes visible.
startSyncTriggers();
// `?bench`: exposes the on-device benchmark to bench/pwa.ts (a separate chunk, never loaded otherwise).
if (new URLSearchParams(location.search).has('bench')) void import('./bench-hook.ts');
