import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { AccuracyMetrics } from '../contracts/metrics.ts';
import type { LatestReportPointer } from '../contracts/reports.ts';
import { type Bundles, buildBundles } from './bundles.ts';
import { finalizeMetrics } from './finalize.ts';
import { type JobProgress, runLocalJobs } from './local/local-runner.ts';
import { type StagingProgress, stageS3Input } from './local/s3-input.ts';
import { loadManifestLabels } from './manifest-labels.ts';
import { publishReport, type ReportSink } from './report-publisher.ts';

/** Where the records come from: a folder laid out like the bucket, or the bucket itself. */
export type RecordSource =
  | { readonly kind: 'directory'; readonly dir: string }
  | { readonly kind: 's3'; readonly s3: S3Client; readonly bucket: string };

export type LocalJobProgress =
  | ({ readonly step: 'staging' } & StagingProgress)
  | ({ readonly step: 'job' } & JobProgress)
  | { readonly step: 'publishing' };

export interface LocalAccuracyJob {
  readonly source: RecordSource;
  readonly sink: ReportSink;
  readonly runId: string;
  /** The bundled programs, if already built; otherwise they are built into the work folder. */
  readonly bundles?: Bundles;
  /** Model manifests, for the class order (`models/`). */
  readonly modelsDir: string;
  readonly mappers: number;
  readonly reducers: number;
  readonly sortBuffer: string;
  /** Parent of the run's work folder (default: the system's temporary folder). */
  readonly workRoot?: string;
  /** Keep the work folder (map outputs, task logs) after the run. */
  readonly keepWork?: boolean;
  readonly onProgress?: (progress: LocalJobProgress) => void;
  readonly signal?: AbortSignal;
  readonly now?: () => Date;
}

export interface LocalAccuracyResult {
  readonly metrics: AccuracyMetrics;
  readonly pointer: LatestReportPointer;
  readonly workDir: string;
}

/**
 * The accuracy job on this machine: stages the bucket's records if they come from S3, runs the join and
 * totals jobs through the bundled streaming programs, computes the metrics and publishes the report.
 */
export async function runLocalAccuracyJob(job: LocalAccuracyJob): Promise<LocalAccuracyResult> {
  const signal = job.signal ?? new AbortController().signal;
  const onProgress = job.onProgress ?? (() => {});
  const workRoot = job.workRoot ?? tmpdir();
  await mkdir(workRoot, { recursive: true });
  const workDir = await mkdtemp(path.join(workRoot, `pictor-mr-${job.runId}-`));
  try {
    const [bundles, manifests] = await Promise.all([
      job.bundles ?? buildBundles(path.join(workDir, 'bundles')),
      loadManifestLabels(job.modelsDir),
    ]);
    let inputDir: string;
    if (job.source.kind === 's3') {
      inputDir = path.join(workDir, 'input');
      await stageS3Input(
        job.source.s3,
        job.source.bucket,
        inputDir,
        (p) => onProgress({ step: 'staging', ...p }),
        signal,
      );
    } else {
      inputDir = job.source.dir;
    }
    const classListsFile = path.join(workDir, 'class-lists.json');
    await writeFile(classListsFile, JSON.stringify(manifests));
    const lines = await runLocalJobs(inputDir, {
      bundles,
      classListsFile,
      workDir,
      mappers: job.mappers,
      reducers: job.reducers,
      sortBuffer: job.sortBuffer,
      onProgress: (p) => onProgress({ step: 'job', ...p }),
      signal,
    });
    onProgress({ step: 'publishing' });
    const metrics = finalizeMetrics(lines, {
      runId: job.runId,
      generatedAt: (job.now ?? (() => new Date()))(),
      manifests,
    });
    const pointer = await publishReport(job.sink, metrics);
    return { metrics, pointer, workDir };
  } finally {
    if (!job.keepWork) await rm(workDir, { recursive: true, force: true });
  }
}
