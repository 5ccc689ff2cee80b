import type { S3Client } from '@aws-sdk/client-s3';
import {
  SERVING_POLICY_FILE,
  type ServingPolicy,
  servingPolicySchema,
} from '../../contracts/serving-policy.ts';
import { type S3RepositoryLocation, syncRepositoryFromS3 } from '../../gpu-host/s3-repository-sync.ts';
import type { ModelVersionFiles } from '../../platform/model-repository.ts';
import { putWholeObject } from '../../platform/put-whole-object.ts';

/**
 * The model repository's copy in S3 (`MODEL_REPOSITORY_S3_URL`, as deploy/ sets it for the hosts),
 * which in AWS is the one the hosts follow. The loop brings its local folder up to date from it with
 * the hosts' own sync before it reads the current default, and publishes what promotion and rollback
 * write: a new version's files first, serving.json last, so no host is pointed at files it cannot get.
 */
export async function syncFromS3(
  s3: S3Client,
  location: S3RepositoryLocation,
  repository: string,
  model: string,
) {
  return syncRepositoryFromS3(s3, location, repository, model);
}

/** Uploads `model.onnx` then `manifest.json` (and golden/candidate files when present) of a version. */
export async function publishVersion(
  s3: S3Client,
  location: S3RepositoryLocation,
  files: ModelVersionFiles,
): Promise<string> {
  const prefix = `${location.prefix}${files.manifest.name}/${files.manifest.version}/`;
  // The manifest last: a host that lists the version while it is being written finds no manifest yet.
  await putBytes(s3, location.bucket, `${prefix}model.onnx`, files.modelBytes, 'application/octet-stream');
  await putBytes(s3, location.bucket, `${prefix}manifest.json`, files.manifestBytes, 'application/json');
  return `s3://${location.bucket}/${prefix}`;
}

/** Writes `<prefix><model>/serving.json` in one PUT. */
export async function publishServingPolicy(
  s3: S3Client,
  location: S3RepositoryLocation,
  policy: ServingPolicy,
): Promise<string> {
  const checked = servingPolicySchema.parse(policy);
  const key = `${location.prefix}${checked.model}/${SERVING_POLICY_FILE}`;
  await putBytes(
    s3,
    location.bucket,
    key,
    Buffer.from(`${JSON.stringify(checked, null, 2)}\n`),
    'application/json',
  );
  return `s3://${location.bucket}/${key}`;
}

async function putBytes(
  s3: S3Client,
  bucket: string,
  key: string,
  body: Uint8Array,
  contentType: string,
): Promise<void> {
  // Model files are megabytes: a longer bound than the client's request timeout alone.
  await putWholeObject(s3, bucket, key, body, contentType, AbortSignal.timeout(120_000));
}
