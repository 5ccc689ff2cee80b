import { readGpuHostConfig } from './config.ts';
import { startGpuHost } from './gpu-host.ts';

// Entry point on the EC2 instance: configuration from the environment, stop on SIGTERM/SIGINT.
const host = await startGpuHost(readGpuHostConfig());
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void host.close().then(() => process.exit(0));
  });
}
