import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EMRClient } from '@aws-sdk/client-emr';
import { createS3Client } from '../platform/s3-client.ts';
import { buildBundles, stopBundler } from './bundles.ts';
import { type AccuracyCommand, parseAccuracyArgs, USAGE, UsageError } from './cli-options.ts';
import { submitEmrAccuracyJob } from './emr/emr-runner.ts';
import { openLocalS3 } from './local/local-s3-endpoint.ts';
import { type RecordSource, runLocalAccuracyJob } from './local-accuracy-job.ts';
import { loadManifestLabels } from './manifest-labels.ts';
import { ProgressLine } from './progress-line.ts';
import { directoryReportSink, newRunId, type ReportSink, s3ReportSink } from './report-publisher.ts';
import { formatSummary } from './summary-table.ts';

/** `npm run accuracy`: the accuracy job, on this machine (default) or on an EMR cluster (`--emr`). */
async function main(argv: readonly string[]): Promise<void> {
  const command = parseAccuracyArgs(argv);
  if (command.mode === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const runId = command.runId ?? newRunId(new Date());
  if (command.mode === 'emr') return runOnEmr(command, runId);

  const controller = new AbortController();
  const stop = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const progress = new ProgressLine();
  const started = Date.now();
  const { input } = command;
  const session =
    input.kind === 's3'
      ? await openLocalS3({
          endpoint: input.endpoint,
          bucket: input.bucket,
          region: command.region,
          dataDir: input.dataDir,
          mayStart: input.endpointIsDefault,
        })
      : null;
  const bundleDir = await mkdtemp(path.join(tmpdir(), 'pictor-mr-bundles-'));
  try {
    const bundles = await buildBundles(bundleDir);
    await stopBundler();
    let source: RecordSource;
    let sink: ReportSink;
    if (input.kind === 's3' && session !== null) {
      if (session.started) {
        process.stderr.write(
          `nothing listens at ${input.endpoint}: serving ${input.dataDir} at ${session.endpoint} for this run\n`,
        );
      }
      source = { kind: 's3', s3: session.s3, bucket: input.bucket };
      sink = s3ReportSink(session.s3, input.bucket);
    } else if (input.kind === 'directory') {
      source = { kind: 'directory', dir: input.dir };
      sink = directoryReportSink(input.output);
    } else {
      throw new Error('unreachable: an S3 input without a session');
    }
    const result = await runLocalAccuracyJob({
      source,
      sink,
      runId,
      bundles,
      modelsDir: command.modelsDir,
      mappers: command.mappers,
      reducers: command.reducers,
      sortBuffer: command.sortBuffer,
      workRoot: command.workRoot,
      keepWork: command.keepWork,
      onProgress: (p) => progress.update(p),
      signal: controller.signal,
    });
    progress.end();
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    process.stdout.write(
      [
        formatSummary(result.metrics),
        '',
        `report: ${sink.locate(result.pointer.reportKey)}`,
        `metrics: ${sink.locate(result.pointer.metricsKey)}`,
        ...(command.keepWork ? [`work folder: ${result.workDir}`] : []),
        `run ${runId} took ${seconds} s (${command.mappers} map tasks, ${command.reducers} reduce tasks)`,
        '',
      ].join('\n'),
    );
  } finally {
    progress.end();
    await session?.close();
    await rm(bundleDir, { recursive: true, force: true });
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

async function runOnEmr(command: Extract<AccuracyCommand, { mode: 'emr' }>, runId: string): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pictor-emr-'));
  const emr = new EMRClient({ region: command.region });
  const s3 = createS3Client({ region: command.region });
  try {
    const [bundles, manifests] = await Promise.all([
      buildBundles(dir),
      loadManifestLabels(command.modelsDir),
    ]);
    const run = await submitEmrAccuracyJob({
      emr,
      s3,
      clusterId: command.clusterId,
      clusterSpec: command.clusterSpec,
      bucket: command.bucket,
      region: command.region,
      runId,
      reducers: command.reducers,
      bundles,
      manifests,
    });
    process.stdout.write(
      [
        command.clusterId === undefined
          ? `created cluster ${run.clusterId} for run ${runId}; it terminates after the last step`
          : `added steps ${run.stepIds.join(', ')} to ${run.clusterId} (run ${runId})`,
        `programs and job output: ${run.runBase}/`,
        `the report, once the last step is done: ${run.reportUrl} (and reports/latest.json)`,
        `follow it: aws emr list-steps --region ${command.region} --cluster-id ${run.clusterId}`,
        '',
      ].join('\n'),
    );
  } finally {
    emr.destroy();
    s3.destroy();
    await rm(dir, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`${error.message}\n\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  process.stderr.write(`accuracy job failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
