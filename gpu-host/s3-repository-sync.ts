import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import { type ModelManifest, modelManifestSchema } from '../contracts/model-manifest.ts';
import { SERVING_POLICY_FILE, servingPolicySchema } from '../contracts/serving-policy.ts';
import { modelNameSchema } from '../contracts/uploads.ts';
import { describeIssue } from '../contracts/zod-issues.ts';

/** Where the model repository lives in S3: `s3://<bucket>/<prefix>`, the prefix ending in `/`. */
export interface S3RepositoryLocation {
  readonly bucket: string;
  readonly prefix: string;
}

/** The S3 copy of the repository could not be read or did not hold what it promised. */
export class RepositorySyncError extends Error {
  override readonly name = 'RepositorySyncError';
}

/** Parses `s3://bucket/prefix/` (MODEL_REPOSITORY_S3_URL); throws naming what is wrong. */
export function parseS3RepositoryUrl(url: string): S3RepositoryLocation {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.*)$/.exec(url);
  if (!match) throw new Error(`"${url}" is not an s3://<bucket>/<prefix>/ URL`);
  const prefix = match[2] as string;
  if (prefix !== '' && !prefix.endsWith('/')) throw new Error(`"${url}": the prefix must end with "/"`);
  return { bucket: match[1] as string, prefix };
}

/** What one sync did: versions downloaded, versions already there, policies written or removed. */
export interface SyncReport {
  readonly downloaded: string[];
  readonly unchanged: string[];
  readonly policies: string[];
}

const VERSION_KEY = /^([^/]+)\/([1-9][0-9]*)\/(manifest\.json|model\.onnx)$/;
const POLICY_KEY = /^([^/]+)\/serving\.json$/;
/** A manifest is a few KiB; a model tens of MiB at most for this system (the committed ones are < 1 MiB). */
const MAX_MANIFEST_BYTES = 1024 * 1024;
const MAX_MODEL_BYTES = 512 * 1024 * 1024;

/**
 * Brings the local model repository up to date with its copy in S3 (where promotion and rollback write
 * in AWS): every version there whose manifest differs from the local one is downloaded, its bytes
 * checked against the manifest's SHA-256, and put in place atomically (written to a hidden folder,
 * then renamed: the loader never sees half a version); each model's serving.json in S3 replaces the
 * local one (written by rename; a local one stays while S3 has none). Versions only on disk are left alone, so a host
 * whose S3 repository has not been seeded yet keeps serving the models it shipped with.
 * `model` limits the sync to one model (a `load` request). Throws RepositorySyncError.
 */
export async function syncRepositoryFromS3(
  s3: S3Client,
  location: S3RepositoryLocation,
  localRepository: string,
  model?: string,
): Promise<SyncReport> {
  const listPrefix = `${location.prefix}${model === undefined ? '' : `${model}/`}`;
  const versions = new Map<string, Set<string>>();
  const policies = new Set<string>();
  const models = new Set<string>();
  let token: string | undefined;
  do {
    const page = await s3
      .send(
        new ListObjectsV2Command({ Bucket: location.bucket, Prefix: listPrefix, ContinuationToken: token }),
      )
      .catch((error: unknown) => {
        throw new RepositorySyncError(
          `cannot list s3://${location.bucket}/${listPrefix}: ${(error as Error).message}`,
        );
      });
    for (const object of page.Contents ?? []) {
      const relative = object.Key?.slice(location.prefix.length) ?? '';
      const version = VERSION_KEY.exec(relative);
      const policy = POLICY_KEY.exec(relative);
      const name = version?.[1] ?? policy?.[1];
      if (name === undefined || !modelNameSchema.safeParse(name).success) continue;
      models.add(name);
      if (policy) policies.add(name);
      if (version) {
        const key = `${name}/${version[2]}`;
        const files = versions.get(key) ?? new Set<string>();
        files.add(version[3] as string);
        versions.set(key, files);
      }
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);

  const report: SyncReport = { downloaded: [], unchanged: [], policies: [] };
  for (const [key, files] of [...versions].sort()) {
    // A version still being uploaded (one file of two): the next sync takes it.
    if (!files.has('manifest.json') || !files.has('model.onnx')) continue;
    const [name, version] = key.split('/') as [string, string];
    if (await syncVersion(s3, location, localRepository, name, version)) report.downloaded.push(key);
    else report.unchanged.push(key);
  }
  for (const name of [...models].sort()) {
    report.policies.push(await syncPolicy(s3, location, localRepository, name, policies.has(name)));
  }
  return report;
}

/** Downloads one version unless the local copy has the same manifest and matching bytes; true when it did. */
async function syncVersion(
  s3: S3Client,
  location: S3RepositoryLocation,
  repository: string,
  name: string,
  version: string,
): Promise<boolean> {
  const base = `${location.prefix}${name}/${version}/`;
  const manifestBytes = await download(s3, location.bucket, `${base}manifest.json`, MAX_MANIFEST_BYTES);
  if (!manifestBytes) return false;
  const manifest = parseManifest(
    manifestBytes,
    `s3://${location.bucket}/${base}manifest.json`,
    name,
    version,
  );
  const folder = path.join(repository, name, version);
  if (await matchesLocal(folder, manifestBytes, manifest)) return false;

  const modelBytes = await download(s3, location.bucket, `${base}model.onnx`, MAX_MODEL_BYTES);
  if (!modelBytes)
    throw new RepositorySyncError(`s3://${location.bucket}/${base}model.onnx vanished while syncing`);
  const sha256 = createHash('sha256').update(modelBytes).digest('hex');
  if (sha256 !== manifest.training.modelSha256) {
    throw new RepositorySyncError(
      `s3://${location.bucket}/${base}model.onnx has SHA-256 ${sha256}; its manifest says ${manifest.training.modelSha256}`,
    );
  }
  const suffix = randomBytes(6).toString('hex');
  const staging = path.join(repository, name, `.${version}.incoming-${suffix}`);
  const retired = path.join(repository, name, `.${version}.retired-${suffix}`);
  await mkdir(staging, { recursive: true });
  try {
    await writeFile(path.join(staging, 'model.onnx'), modelBytes);
    await writeFile(path.join(staging, 'manifest.json'), manifestBytes);
    // Out with the old folder, in with the new: each a rename, so the folder is whole or absent.
    const hadOld = await rename(folder, retired).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return false;
        throw error;
      },
    );
    await rename(staging, folder);
    if (hadOld) await rm(retired, { recursive: true, force: true });
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  return true;
}

/** Writes the local serving.json to match S3's, when S3 has one; returns what it did, for the log. */
async function syncPolicy(
  s3: S3Client,
  location: S3RepositoryLocation,
  repository: string,
  name: string,
  inS3: boolean,
): Promise<string> {
  const local = path.join(repository, name, SERVING_POLICY_FILE);
  const key = `${location.prefix}${name}/${SERVING_POLICY_FILE}`;
  const bytes = inS3 ? await download(s3, location.bucket, key, MAX_MANIFEST_BYTES) : undefined;
  // None in S3 (a repository seeded from the release, before any promotion there): the release's own
  // serving.json, if it has one, stays in force; once the loop writes one to S3, S3's wins.
  if (!bytes) return `${name}: no serving.json in S3 (the local one, if any, stays)`;
  // Copied even when invalid: the loader reports an invalid policy (and serves the newest) as it does
  // for a local one, so a bad file shows up in the index and the log where operators look.
  const parsed = servingPolicySchema.safeParse(parseJson(bytes));
  const current = await readFile(local).catch(() => undefined);
  if (current && Buffer.compare(current, bytes) === 0) {
    return `${name}: serving.json unchanged`;
  }
  await mkdir(path.dirname(local), { recursive: true });
  const temporary = `${local}.incoming-${randomBytes(6).toString('hex')}`;
  await writeFile(temporary, bytes);
  await rename(temporary, local);
  return parsed.success
    ? `${name}: default version ${parsed.data.defaultVersion}`
    : `${name}: serving.json copied, but it is invalid`;
}

async function matchesLocal(
  folder: string,
  manifestBytes: Uint8Array,
  manifest: ModelManifest,
): Promise<boolean> {
  try {
    const [localManifest, localModel] = await Promise.all([
      readFile(path.join(folder, 'manifest.json')),
      readFile(path.join(folder, 'model.onnx')),
    ]);
    if (Buffer.compare(localManifest, manifestBytes) !== 0) return false;
    return createHash('sha256').update(localModel).digest('hex') === manifest.training.modelSha256;
  } catch {
    return false;
  }
}

function parseManifest(bytes: Uint8Array, where: string, name: string, version: string): ModelManifest {
  const parsed = modelManifestSchema.safeParse(parseJson(bytes));
  if (!parsed.success) throw new RepositorySyncError(`${where}: ${describeIssue(parsed.error, 'manifest')}`);
  if (parsed.data.name !== name || parsed.data.version !== version) {
    throw new RepositorySyncError(
      `${where} names ${parsed.data.name}/${parsed.data.version}, but lies in ${name}/${version}`,
    );
  }
  return parsed.data;
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return undefined;
  }
}

/** An object's bytes, undefined when it does not exist; RepositorySyncError when it cannot be read or is too big. */
async function download(
  s3: S3Client,
  bucket: string,
  key: string,
  limit: number,
): Promise<Uint8Array | undefined> {
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if ((object.ContentLength ?? 0) > limit) {
      throw new RepositorySyncError(
        `s3://${bucket}/${key} is ${object.ContentLength} bytes, more than ${limit}`,
      );
    }
    return (await object.Body?.transformToByteArray()) ?? new Uint8Array();
  } catch (error) {
    if (error instanceof NoSuchKey) return undefined;
    if (error instanceof RepositorySyncError) throw error;
    throw new RepositorySyncError(`cannot read s3://${bucket}/${key}: ${(error as Error).message}`);
  }
}
