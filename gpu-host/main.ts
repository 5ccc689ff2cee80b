import { pino } from 'pino';
import { readGpuHostConfig } from './config.ts';
import { startGpuHost } from './gpu-host.ts';

// Entry point on the EC2 instance: configuration from the environment; on SIGTERM/SIGINT stop
// accepting, finish what is in flight, then exit.
const config = readGpuHostConfig();
const log = pino({ level: config.logLevel });
const host = await startGpuHost(config, log);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log.info({ signal }, 'signal received');
    host.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
