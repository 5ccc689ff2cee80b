import { access } from 'node:fs/promises';
import type { ModelRegistry } from '../gpu-host/model-registry.ts';
import { DEFAULT_STACK_OPTIONS, startLocalStack } from './local-stack.ts';
import { CorruptSecretsError } from './stack-secrets.ts';

// `npm start`: the whole system on this machine, until Ctrl-C.
try {
  await access(`${DEFAULT_STACK_OPTIONS.publicDir}/index.html`);
} catch {
  console.error(
    `The app is not built (${DEFAULT_STACK_OPTIONS.publicDir}/index.html is missing): run \`npm run build\` first, or use \`npm start\`.`,
  );
  process.exit(1);
}

const stack = await startLocalStack({ logLevel: process.env.LOG_LEVEL ?? 'info' }).catch((error: unknown) => {
  // A broken secrets file is the operator's to fix: say so without a stack trace.
  if (error instanceof CorruptSecretsError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
});
const appUrl = `http://localhost:${stack.gateway.port}`;
console.log(`
  Pictor is running.

    App            ${appUrl}
    Local S3       ${stack.s3.endpoint}  (bucket ${stack.gatewayConfig.bucket}, data in ${DEFAULT_STACK_OPTIONS.dataDir}/s3)
    Inference      ${stack.gpuHost.url}/v2  (models: ${describeModels(stack.gpuHost.registry)}; load with POST /v2/repository/models/<m>/load)

  Open ${appUrl} in a browser. Press Ctrl-C to stop.
`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log('\nStopping…');
    stack.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}

/** `digits 2 (default), 1; fashion 1 (default)`: each model's versions, its default marked. */
function describeModels(registry: ModelRegistry): string {
  const names = [...new Set(registry.list().map((c) => c.manifest.name))];
  return names
    .map((name) => {
      const chosen = registry.defaultVersion(name);
      return `${name} ${registry
        .versions(name)
        .map((v) => (v === chosen ? `${v} (default)` : v))
        .join(', ')}`;
    })
    .join('; ');
}
