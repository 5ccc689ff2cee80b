import path from 'node:path';
import { pino } from 'pino';
import { startLambdaSide } from './lambda-side.ts';
import { startLocalS3 } from './local-s3.ts';
import { lambdaConfigFor, readS3ProcessConfig } from './s3-process-config.ts';
import { loadOrCreateSecrets } from './stack-secrets.ts';
import { onStopSignals } from './stop-signals.ts';

// `npm run start:s3`: the local S3 server with the S3 → Lambda bridge, the Lambda handler and the
// redrive queue and sweep, in the foreground. SIGTERM: stop taking events, finish or keep the ones in
// flight, exit. SIGKILL loses nothing: objects and kept events are files, and the sweep finds the rest.
const config = readS3ProcessConfig();
const log = pino({ level: config.logLevel });
const secrets = await loadOrCreateSecrets(config.dataDir);
const s3 = await startLocalS3({
  port: config.port,
  host: config.bind,
  directory: path.join(config.dataDir, 's3'),
  bucket: config.bucket,
  allowedOrigins: config.appOrigins,
  region: config.region,
});
const lambdaConfig = lambdaConfigFor(process.env, config.lambdaS3Endpoint ?? s3.endpoint, secrets);
const lambdaSide = await startLambdaSide({
  s3,
  lambdaConfig,
  bucket: config.bucket,
  region: config.region,
  dataDir: config.dataDir,
  lambdaRetryDelaysMs: config.lambdaRetryDelaysMs,
  lambdaTimeoutMs: config.lambdaTimeoutMs,
  redriveIntervalMs: config.redriveIntervalMs,
  sweepAgeMs: config.sweepAgeMs,
  log,
  handlerThread: { logLevel: config.logLevel },
});
log.info(
  {
    endpoint: s3.endpoint,
    bucket: config.bucket,
    dataDir: config.dataDir,
    inferenceUrl: lambdaConfig.inferenceUrl,
    gatewayUrl: lambdaConfig.gatewayUrl,
  },
  'local S3 and Lambda listening',
);
onStopSignals(log, async () => {
  await lambdaSide.close();
  await s3.close();
});
