import type { StepConfig } from '@aws-sdk/client-emr';
import { LABELS_PREFIX, PREDICTIONS_PREFIX } from '../../contracts/s3-keys.ts';
import { s3Url } from '../s3-url.ts';

/** Where an EMR run keeps its programs and intermediate output in the bucket. */
export const MR_RUNS_PREFIX = 'mr/runs/';
/** Where the bootstrap action script is uploaded (what `create-cluster --bootstrap-actions Path=` names). */
export const BOOTSTRAP_KEY = 'mr/bootstrap-node.sh';

export interface EmrPlan {
  readonly bucket: string;
  readonly region: string;
  readonly runId: string;
  /** Reduce tasks of the join job. */
  readonly reducers: number;
  /** Which record prefixes hold objects (Hadoop fails on an input glob that matches nothing). */
  readonly inputs: { readonly predictions: boolean; readonly labels: boolean };
}

/** `s3://bucket/mr/runs/<runId>`: the run's programs, class lists and job outputs. */
export function runBase(plan: Pick<EmrPlan, 'bucket' | 'runId'>): string {
  return s3Url(plan.bucket, `${MR_RUNS_PREFIX}${plan.runId}`);
}

/** The keys the run uploads before adding its steps. */
export function runKeys(runId: string) {
  const base = `${MR_RUNS_PREFIX}${runId}`;
  return {
    joinMapper: `${base}/bundles/join-mapper.js`,
    joinReducer: `${base}/bundles/join-reducer.js`,
    totalsMapper: `${base}/bundles/totals-mapper.js`,
    mergeCounts: `${base}/bundles/merge-counts.js`,
    finalizeReport: `${base}/bundles/finalize-report.js`,
    classLists: `${base}/class-lists.json`,
  } as const;
}

/** Text in, text out, uncompressed (the report step reads the totals as text). */
const COMMON_PROPERTIES = ['-D', 'mapreduce.output.fileoutputformat.compress=false'];

/**
 * The run's three steps. Generic options (`-D`, `-files`) come before the streaming options, as
 * Hadoop's GenericOptionsParser requires; `-files` ships the bundles into each task's working folder,
 * where `node <bundle>.js` runs them.
 *
 * 1. join: predictions and labels → partial counts per model, version and day. CombineTextInputFormat
 *    packs the many small prediction objects into splits of up to 256 MiB (one map task per object would
 *    be a million tasks); with it, streaming would prefix each line with its byte offset unless
 *    `stream.map.input.ignoreKey` is set.
 * 2. totals: sums per day and per model version, with the combiner.
 * 3. report: on the primary node, the bundled finalizer turns the totals into metrics.json and
 *    report.html and writes `reports/latest.json` last.
 *
 * Each step cancels the ones after it if it fails (CANCEL_AND_WAIT), leaving the cluster up.
 */
export function accuracySteps(plan: EmrPlan): StepConfig[] {
  const base = runBase(plan);
  const keys = runKeys(plan.runId);
  const at = (key: string) => s3Url(plan.bucket, key);
  const inputs: string[] = [];
  if (plan.inputs.predictions) inputs.push('-input', at(`${PREDICTIONS_PREFIX}dt=*/*.json`));
  if (plan.inputs.labels) inputs.push('-input', at(`${LABELS_PREFIX}dt=*/*.jsonl`));
  if (inputs.length === 0)
    throw new Error(`accuracySteps: s3://${plan.bucket} has no predictions and no labels`);
  const finalizer = `/tmp/pictor-finalize-${plan.runId}.js`;
  return [
    {
      Name: `pictor-accuracy join ${plan.runId}`,
      ActionOnFailure: 'CANCEL_AND_WAIT',
      HadoopJarStep: {
        Jar: 'command-runner.jar',
        Args: [
          'hadoop-streaming',
          '-D',
          `mapreduce.job.name=pictor-accuracy-join-${plan.runId}`,
          '-D',
          'mapreduce.input.fileinputformat.split.maxsize=268435456',
          '-D',
          'stream.map.input.ignoreKey=true',
          ...COMMON_PROPERTIES,
          '-files',
          [at(keys.joinMapper), at(keys.joinReducer), at(keys.classLists)].join(','),
          '-inputformat',
          'org.apache.hadoop.mapred.lib.CombineTextInputFormat',
          ...inputs,
          '-output',
          `${base}/join`,
          '-mapper',
          'node join-mapper.js',
          '-reducer',
          // The class lists: labels outside them are counted as invalid, never made classes.
          'node join-reducer.js class-lists.json',
          '-numReduceTasks',
          String(plan.reducers),
        ],
      },
    },
    {
      Name: `pictor-accuracy totals ${plan.runId}`,
      ActionOnFailure: 'CANCEL_AND_WAIT',
      HadoopJarStep: {
        Jar: 'command-runner.jar',
        Args: [
          'hadoop-streaming',
          '-D',
          `mapreduce.job.name=pictor-accuracy-totals-${plan.runId}`,
          ...COMMON_PROPERTIES,
          '-files',
          [at(keys.totalsMapper), at(keys.mergeCounts)].join(','),
          '-input',
          `${base}/join`,
          '-output',
          `${base}/totals`,
          '-mapper',
          'node totals-mapper.js',
          '-combiner',
          'node merge-counts.js combine',
          '-reducer',
          'node merge-counts.js reduce',
          '-numReduceTasks',
          '1',
        ],
      },
    },
    {
      Name: `pictor-accuracy report ${plan.runId}`,
      ActionOnFailure: 'CANCEL_AND_WAIT',
      HadoopJarStep: {
        Jar: 'command-runner.jar',
        Args: [
          'bash',
          '-c',
          `aws s3 cp ${at(keys.finalizeReport)} ${finalizer} && node ${finalizer} --totals ${base}/totals/ --class-lists ${at(keys.classLists)} --bucket ${plan.bucket} --run-id ${plan.runId} --region ${plan.region}`,
        ],
      },
    },
  ];
}
