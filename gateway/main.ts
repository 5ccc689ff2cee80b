import { loadGatewayConfig } from './config.ts';
import { startGateway } from './gateway.ts';

// Entry point on the gateway instance: configuration from the environment, stop on SIGTERM/SIGINT.
const gateway = await startGateway(await loadGatewayConfig());
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void gateway.close().then(() => process.exit(0));
  });
}
