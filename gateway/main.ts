import { loadGatewayConfig } from './config.ts';
import { startGateway } from './gateway.ts';

// Entry point on the gateway instance: configuration from the environment, stop on SIGTERM/SIGINT.
// A start-up failure (a bad variable, REDIS_URL unreachable, the port taken) ends the process with its
// message, which says what to fix.
const gateway = await loadGatewayConfig()
  .then(startGateway)
  .catch((error: unknown) => {
    process.stderr.write(
      `gateway did not start: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  });
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void gateway.close().then(() => process.exit(0));
  });
}
