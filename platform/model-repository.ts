import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { type ModelManifest, modelManifestSchema } from '../contracts/model-manifest.ts';
import { modelNameSchema } from '../contracts/uploads.ts';
import { describeIssue } from '../contracts/zod-issues.ts';

/** A version folder's name: a whole number from 1 (Triton's layout). */
const VERSION_FOLDER = /^[1-9][0-9]*$/;

/** One version of one model found on disk, checked: manifest valid and matching its folder, bytes matching its SHA-256. */
export interface ModelVersionFiles {
  readonly manifest: ModelManifest;
  readonly folder: string;
  readonly modelPath: string;
  /** The manifest as committed (the PWA build ships these bytes). */
  readonly manifestBytes: Uint8Array;
  /** The ONNX bytes, read once for the checksum (the PWA build ships them; the host loads from modelPath). */
  readonly modelBytes: Uint8Array;
}

/**
 * A version folder that cannot be served, and why: `incomplete` (model.onnx or manifest.json missing:
 * a version being written, say) or `invalid` (a manifest that does not parse or names another folder,
 * bytes that do not match the manifest's SHA-256).
 */
export interface SkippedVersion {
  readonly model: string;
  readonly version: string;
  readonly folder: string;
  readonly kind: 'incomplete' | 'invalid';
  readonly reason: string;
}

/** What a scan found: the versions that can be served and the folders left out. */
export interface RepositoryScan {
  readonly found: ModelVersionFiles[];
  readonly skipped: SkippedVersion[];
}

/**
 * The one reader of the model repository (`<repository>/<model>/<version>/{model.onnx,manifest.json}`,
 * Triton's layout with our manifest as the config), for the inference host, the PWA build and the
 * accuracy job alike. Model folders are those named as a model may be (contracts/uploads.ts), version
 * folders whole numbers; anything else (dot-folders, notes) is not part of the repository. A version
 * that is incomplete or invalid is reported in `skipped`, so one bad model cannot keep the others out;
 * each caller decides what a skip means to it. Throws when `repository` itself cannot be read.
 */
export async function scanModelRepository(repository: string): Promise<RepositoryScan> {
  const models = (await subfolders(repository)).filter((name) => modelNameSchema.safeParse(name).success);
  const scans = await Promise.all(models.map((model) => scanModel(repository, model)));
  return { found: scans.flatMap((s) => s.found), skipped: scans.flatMap((s) => s.skipped) };
}

/** Scans one model's folder, `<repository>/<model>/`, oldest version first; throws when it cannot be read. */
export async function scanModel(repository: string, model: string): Promise<RepositoryScan> {
  const found: ModelVersionFiles[] = [];
  const skipped: SkippedVersion[] = [];
  const versions = (await subfolders(path.join(repository, model)))
    .filter((v) => VERSION_FOLDER.test(v))
    .sort((a, b) => Number(a) - Number(b));
  for (const version of versions) {
    const folder = path.join(repository, model, version);
    const result = await readVersion(folder, model, version);
    if ('kind' in result) skipped.push(result);
    else found.push(result);
  }
  return { found, skipped };
}

/** The newest version of each model among `found` (highest number), by model name. */
export function newestVersions(found: readonly ModelVersionFiles[]): ModelVersionFiles[] {
  const newest = new Map<string, ModelVersionFiles>();
  for (const files of found) {
    const current = newest.get(files.manifest.name);
    if (!current || Number(files.manifest.version) > Number(current.manifest.version)) {
      newest.set(files.manifest.name, files);
    }
  }
  return [...newest.keys()].sort().map((name) => newest.get(name) as ModelVersionFiles);
}

async function readVersion(
  folder: string,
  model: string,
  version: string,
): Promise<ModelVersionFiles | SkippedVersion> {
  const skip = (kind: SkippedVersion['kind'], reason: string): SkippedVersion => ({
    model,
    version,
    folder,
    kind,
    reason,
  });
  const modelPath = path.join(folder, 'model.onnx');
  const manifestPath = path.join(folder, 'manifest.json');
  const [manifestBytes, modelBytes] = await Promise.all([
    readIfPresent(manifestPath),
    readIfPresent(modelPath),
  ]);
  if (!manifestBytes) return skip('incomplete', `${manifestPath} is missing`);
  if (!modelBytes) return skip('incomplete', `${modelPath} is missing`);
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(manifestBytes).toString('utf8'));
  } catch (error) {
    return skip('invalid', `${manifestPath} is not JSON: ${(error as Error).message}`);
  }
  const parsed = modelManifestSchema.safeParse(json);
  if (!parsed.success) return skip('invalid', `${manifestPath}: ${describeIssue(parsed.error, 'manifest')}`);
  const manifest = parsed.data;
  if (manifest.name !== model || manifest.version !== version) {
    return skip(
      'invalid',
      `${manifestPath} names ${manifest.name}/${manifest.version}, but lies in ${model}/${version}`,
    );
  }
  const sha256 = createHash('sha256').update(modelBytes).digest('hex');
  if (sha256 !== manifest.training.modelSha256) {
    return skip(
      'invalid',
      `${modelPath} has SHA-256 ${sha256}; its manifest says ${manifest.training.modelSha256} (retrain or restore the file)`,
    );
  }
  return { manifest, folder, modelPath, manifestBytes, modelBytes };
}

async function readIfPresent(file: string): Promise<Uint8Array | undefined> {
  try {
    return await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function subfolders(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
}
