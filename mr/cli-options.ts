import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { type ClusterSpec, parseClusterSpec } from './emr/transient-cluster.ts';
import { BUCKET_NAME } from './s3-url.ts';

export const USAGE = `npm run accuracy -- [options]

Measures how the models' verdicts match the labels people gave, and writes reports/<runId>/metrics.json,
report.html and reports/latest.json.

Where the records are (default: the local stack's S3, started here if it is not running):
  --input <dir>          a folder laid out like the bucket (predictions/dt=…/*.json, labels/dt=…/*.jsonl)
  --output <dir>         where reports/ goes with --input (default: the --input folder)
  --bucket <name>        the bucket (default: $S3_BUCKET or pictor-local)
  --endpoint <url>       the local S3 server (default: $S3_ENDPOINT or http://127.0.0.1:4569)
  --data-dir <dir>       the local S3 server's data, if it has to be started here (default: .data/s3)

Local runner:
  --mappers <n>          parallel map tasks (default: the number of CPUs)
  --reducers <n>         reduce tasks of the join job (default: 2; on EMR 4)
  --sort-buffer <size>   memory of each sort before it spills to disk, as sort -S takes it (default: 64M)
  --work-dir <dir>       parent of the run's work folder (default: the system's temporary folder)
  --keep-work            keep the work folder (map outputs, task logs)

On an EMR cluster (whose nodes ran mr/emr/bootstrap-node.sh; see mr/README.md):
  --emr --bucket <name> --cluster-spec '<json>'   a transient cluster for this run (RunJobFlow); it ends
                                                  after the last step. The JSON is the stack's EmrClusterSpec output
  --emr --bucket <name> --cluster-id <j-…>         steps added to a running cluster
  [--region <r>]

Both:
  --models <dir>         model manifests, for the class order (default: models)
  --run-id <id>          the run's id (default: UTC time and a random suffix)
  --help`;

/** Where the local runner reads records and writes reports. */
export type LocalInput =
  | { readonly kind: 'directory'; readonly dir: string; readonly output: string }
  | {
      readonly kind: 's3';
      readonly bucket: string;
      readonly endpoint: string;
      /** Only the default address may be served from here when nothing listens there. */
      readonly endpointIsDefault: boolean;
      readonly dataDir: string;
    };

export type AccuracyCommand =
  | {
      readonly mode: 'local';
      readonly input: LocalInput;
      readonly mappers: number;
      readonly reducers: number;
      readonly sortBuffer: string;
      readonly workRoot: string | undefined;
      readonly keepWork: boolean;
      readonly modelsDir: string;
      readonly runId: string | undefined;
      readonly region: string;
    }
  | {
      readonly mode: 'emr';
      /** A running cluster; or `clusterSpec` for a transient one. */
      readonly clusterId: string | undefined;
      readonly clusterSpec: ClusterSpec | undefined;
      readonly bucket: string;
      readonly region: string;
      readonly reducers: number;
      readonly modelsDir: string;
      readonly runId: string | undefined;
    }
  | { readonly mode: 'help' };

/** A command line that cannot run, with what is wrong in words. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const DEFAULT_LOCAL_S3_ENDPOINT = 'http://127.0.0.1:4569';

/** Reads the command line (and the few environment variables it falls back on) into a frozen command. */
export function parseAccuracyArgs(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): AccuracyCommand {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const v = parsed.values;
  if (v.help) return { mode: 'help' };
  const positive = (name: string, value: string | undefined, fallback: number): number => {
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > 1024)
      throw new UsageError(`--${name} must be a whole number from 1 to 1024`);
    return n;
  };
  const runId = v['run-id'];
  if (runId !== undefined && !/^[A-Za-z0-9._-]{1,100}$/.test(runId)) {
    throw new UsageError('--run-id may hold only letters, digits, ".", "_" and "-"');
  }
  const region = v.region ?? env.AWS_REGION ?? 'us-east-1';
  const modelsDir = v.models ?? 'models';
  const bucket = v.bucket ?? env.S3_BUCKET ?? 'pictor-local';
  if (!BUCKET_NAME.test(bucket)) throw new UsageError(`--bucket is not a bucket name: ${bucket}`);

  if (v.emr) {
    if ((v['cluster-id'] === undefined) === (v['cluster-spec'] === undefined)) {
      throw new UsageError(
        "--emr needs either --cluster-spec '<json>' (a cluster for this run) or --cluster-id j-… (a running one)",
      );
    }
    let clusterSpec: ClusterSpec | undefined;
    try {
      clusterSpec = v['cluster-spec'] === undefined ? undefined : parseClusterSpec(v['cluster-spec']);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    if (v.bucket === undefined)
      throw new UsageError('--emr needs --bucket (the bucket with predictions/ and labels/)');
    for (const local of [
      'input',
      'output',
      'endpoint',
      'data-dir',
      'mappers',
      'sort-buffer',
      'work-dir',
    ] as const) {
      if (v[local] !== undefined) throw new UsageError(`--${local} is for the local runner, not --emr`);
    }
    return Object.freeze({
      mode: 'emr',
      clusterId: v['cluster-id'],
      clusterSpec,
      bucket,
      region,
      reducers: positive('reducers', v.reducers, 4),
      modelsDir,
      runId,
    });
  }
  if (v['cluster-id'] !== undefined) throw new UsageError('--cluster-id goes with --emr');
  if (v['cluster-spec'] !== undefined) throw new UsageError('--cluster-spec goes with --emr');
  if (v.output !== undefined && v.input === undefined) throw new UsageError('--output goes with --input');
  const sortBuffer = v['sort-buffer'] ?? '64M';
  if (!/^\d+[KMG]?$/.test(sortBuffer)) throw new UsageError('--sort-buffer takes a size such as 64M or 1G');
  const endpoint = v.endpoint ?? env.S3_ENDPOINT ?? DEFAULT_LOCAL_S3_ENDPOINT;
  const input: LocalInput =
    v.input !== undefined
      ? { kind: 'directory', dir: v.input, output: v.output ?? v.input }
      : {
          kind: 's3',
          bucket,
          endpoint,
          endpointIsDefault: endpoint === DEFAULT_LOCAL_S3_ENDPOINT,
          dataDir: v['data-dir'] ?? '.data/s3',
        };
  return Object.freeze({
    mode: 'local',
    input,
    mappers: positive('mappers', v.mappers, availableParallelism()),
    reducers: positive('reducers', v.reducers, 2),
    sortBuffer,
    workRoot: v['work-dir'],
    keepWork: v['keep-work'] ?? false,
    modelsDir,
    runId,
    region,
  });
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      input: { type: 'string' },
      output: { type: 'string' },
      bucket: { type: 'string' },
      endpoint: { type: 'string' },
      'data-dir': { type: 'string' },
      region: { type: 'string' },
      emr: { type: 'boolean' },
      'cluster-id': { type: 'string' },
      'cluster-spec': { type: 'string' },
      mappers: { type: 'string' },
      reducers: { type: 'string' },
      'sort-buffer': { type: 'string' },
      'work-dir': { type: 'string' },
      'keep-work': { type: 'boolean' },
      models: { type: 'string' },
      'run-id': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
}
