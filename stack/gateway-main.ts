import { pino } from 'pino';
import { readGatewayConfig } from '../gateway/config.ts';
import { startGateway } from '../gateway/gateway.ts';
import { LOCAL_BUCKET, LOCAL_INFERENCE_URL, LOCAL_S3_ENDPOINT } from './local-defaults.ts';
import { LOCAL_S3_CREDENTIALS } from './local-s3.ts';
import { loadOrCreateSecrets } from './stack-secrets.ts';
import { onStopSignals } from './stop-signals.ts';

// `npm run start:gateway`: the gateway in the foreground, configured by its own variables (as in AWS),
// with the local defaults filled in: the local S3 on :4569 and the data folder's secrets. REDIS_URL, if
// set, is passed through: several of these processes then share results through that Redis.
const dataDir = process.env.DATA_DIR ?? '.data';
const secrets = await loadOrCreateSecrets(dataDir);
const config = readGatewayConfig({
  S3_ENDPOINT: LOCAL_S3_ENDPOINT,
  S3_BUCKET: LOCAL_BUCKET,
  S3_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
  S3_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
  INFERENCE_URL: LOCAL_INFERENCE_URL,
  RESULT_SIGNING_SECRET: secrets.resultSigningSecret,
  UPLOAD_TOKEN_SECRET: secrets.uploadTokenSecret,
  ...process.env,
});
const log = pino({ level: process.env.LOG_LEVEL ?? 'info' });
const gateway = await startGateway(config, log).catch((error: unknown) => {
  // A start-up failure (REDIS_URL unreachable, the port taken) says what to fix, not a stack trace.
  const message = error instanceof Error ? error.message : String(error);
  log.fatal({ err: error }, message);
  process.stderr.write(`gateway did not start: ${message}\n`);
  process.exit(1);
});
onStopSignals(log, () => gateway.close());
