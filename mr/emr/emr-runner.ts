import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AddJobFlowStepsCommand, type EMRClient, RunJobFlowCommand } from '@aws-sdk/client-emr';
import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { LABELS_PREFIX, PREDICTIONS_PREFIX, REPORTS_PREFIX } from '../../contracts/s3-keys.ts';
import type { Bundles } from '../bundles.ts';
import type { ManifestLabels } from '../class-order.ts';
import { s3Url } from '../s3-url.ts';
import { accuracySteps, BOOTSTRAP_KEY, runBase, runKeys } from './emr-steps.ts';
import { type ClusterSpec, transientClusterRequest } from './transient-cluster.ts';

/** The bootstrap action script, shipped with the repository. */
export const BOOTSTRAP_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'bootstrap-node.sh');

export interface EmrAccuracyJob {
  readonly emr: EMRClient;
  readonly s3: S3Client;
  /** A running cluster to add the steps to; or `clusterSpec`, to create one for this run. */
  readonly clusterId?: string | undefined;
  /** Creates a transient cluster (RunJobFlow) that runs the steps and terminates. */
  readonly clusterSpec?: ClusterSpec | undefined;
  readonly bucket: string;
  readonly region: string;
  readonly runId: string;
  readonly reducers: number;
  readonly bundles: Bundles;
  readonly manifests: ManifestLabels;
}

export interface SubmittedEmrRun {
  /** The cluster the steps run on: the given one or the one created for this run. */
  readonly clusterId: string;
  /** The step ids; empty for a new cluster (ListSteps names them once it exists). */
  readonly stepIds: readonly string[];
  /** `s3://bucket/mr/runs/<runId>`. */
  readonly runBase: string;
  /** Where the report will be once the last step has run. */
  readonly reportUrl: string;
}

/** A cluster id as EMR issues them. */
export const CLUSTER_ID = /^j-[A-Z0-9]{1,64}$/;

/**
 * Submits the accuracy job: uploads the bundled programs, the class lists and the bootstrap script,
 * then either adds the join, totals and report steps to a running cluster (one whose nodes ran
 * mr/emr/bootstrap-node.sh), or — without a cluster id — creates a transient cluster with RunJobFlow
 * that runs those steps and terminates after the last. Returns at once; the steps run in order.
 */
export async function submitEmrAccuracyJob(job: EmrAccuracyJob): Promise<SubmittedEmrRun> {
  if (job.clusterId !== undefined && !CLUSTER_ID.test(job.clusterId))
    throw new Error(`--cluster-id must look like j-XXXXXXXX, not ${job.clusterId}`);
  if ((job.clusterId === undefined) === (job.clusterSpec === undefined))
    throw new Error('give either a cluster id (a running cluster) or a cluster spec (a transient one)');
  const inputs = {
    predictions: await hasObjects(job.s3, job.bucket, PREDICTIONS_PREFIX),
    labels: await hasObjects(job.s3, job.bucket, LABELS_PREFIX),
  };
  if (!inputs.predictions && !inputs.labels) {
    throw new Error(
      `s3://${job.bucket} has nothing under ${PREDICTIONS_PREFIX} or ${LABELS_PREFIX}: nothing to measure`,
    );
  }
  const keys = runKeys(job.runId);
  const put = async (key: string, body: string | Uint8Array, contentType: string) => {
    await job.s3.send(
      new PutObjectCommand({ Bucket: job.bucket, Key: key, Body: body, ContentType: contentType }),
    );
  };
  const script = 'text/javascript';
  await put(keys.joinMapper, await readFile(job.bundles['join-mapper']), script);
  await put(keys.joinReducer, await readFile(job.bundles['join-reducer']), script);
  await put(keys.totalsMapper, await readFile(job.bundles['totals-mapper']), script);
  await put(keys.mergeCounts, await readFile(job.bundles['merge-counts']), script);
  await put(keys.finalizeReport, await readFile(job.bundles['finalize-report']), script);
  await put(keys.classLists, JSON.stringify(job.manifests), 'application/json');
  await put(BOOTSTRAP_KEY, await readFile(BOOTSTRAP_SCRIPT), 'text/x-shellscript');

  const steps = accuracySteps({
    bucket: job.bucket,
    region: job.region,
    runId: job.runId,
    reducers: job.reducers,
    inputs,
  });
  const report = s3Url(job.bucket, `${REPORTS_PREFIX}${job.runId}/report.html`);
  if (job.clusterSpec !== undefined) {
    const request = transientClusterRequest(
      job.clusterSpec,
      job.runId,
      s3Url(job.bucket, BOOTSTRAP_KEY),
      steps,
    );
    const created = await job.emr.send(new RunJobFlowCommand(request));
    if (!created.JobFlowId) throw new Error('EMR RunJobFlow answered without a cluster id');
    return { clusterId: created.JobFlowId, stepIds: [], runBase: runBase(job), reportUrl: report };
  }
  const clusterId = job.clusterId as string;
  const added = await job.emr.send(new AddJobFlowStepsCommand({ JobFlowId: clusterId, Steps: steps }));
  return {
    clusterId,
    stepIds: added.StepIds ?? [],
    runBase: runBase(job),
    reportUrl: report,
  };
}

async function hasObjects(s3: S3Client, bucket: string, prefix: string): Promise<boolean> {
  const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: 1 }));
  return (page.KeyCount ?? page.Contents?.length ?? 0) > 0;
}
