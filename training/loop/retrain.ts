import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ModelDecision } from '../../contracts/model-decision.ts';
import { seededRandom } from '../../test/support/seeded-random.ts';
import { type CandidateGate, type GateOptions, gateCandidate } from './candidate-gate.ts';
import type { LoopConfig } from './loop-config.ts';
import { currentVersions, nextVersion, readCandidate } from './model-versions.ts';
import { userTrainingRows } from './npy.ts';
import { type DecisionOutcome, decidePromotion } from './promotion.ts';
import { syncFromS3 } from './s3-repository.ts';
import { loadUserDataset, type UserItem } from './user-dataset.ts';
import { userSplitKey } from './user-split.ts';

const ROOT = path.join(import.meta.dirname, '..', '..');

export interface RetrainOptions extends GateOptions {
  /** Default: the training script's (digits 25). */
  readonly epochs?: number | undefined;
  /** Train on this many base images only (small-scale tests). */
  readonly baseSubset?: number | undefined;
  readonly seed: number;
  /** Staging area: the candidate goes to `<staging>/models/<model>/<version>/`. */
  readonly staging: string;
  readonly promote: boolean;
  /** Control experiment: the users' training labels permuted (seeded); such a candidate should be refused. */
  readonly shuffleUserLabels: boolean;
  /** Share of each epoch the users' images make after oversampling (training/user_data.py). */
  readonly extraShare?: number | undefined;
  readonly python: string;
  readonly trainTimeoutMs: number;
}

/** `candidate.json` beside the candidate's manifest: what it was trained on (the manifest schema is strict). */
export interface CandidateInfo {
  readonly model: string;
  readonly version: string;
  readonly basedOn: string;
  readonly createdAt: string;
  readonly training: NonNullable<ModelDecision['training']>;
  readonly splitObject: string;
  readonly shuffledUserLabels: boolean;
}

export interface RetrainResult {
  readonly candidateDir: string;
  readonly info: CandidateInfo;
  readonly gate: CandidateGate;
  /** Absent with `promote: false` when the gate passed (nothing was decided). */
  readonly outcome?: DecisionOutcome;
}

/**
 * The loop in one call: labelled uploads from the bucket → split (recorded) → the users' train part as
 * a file → train.py (base data + those images, seeded) → a candidate in the staging area with its
 * manifest and candidate.json → the gate → promotion or a recorded refusal.
 */
export async function retrain(
  config: LoopConfig,
  s3: S3Client,
  options: RetrainOptions,
  log: (line: string) => void,
): Promise<RetrainResult> {
  if (config.repositoryS3) await syncFromS3(s3, config.repositoryS3, config.repository, config.model);
  const { defaultVersion: current, all } = await currentVersions(config.repository, config.model);
  const version = nextVersion(all);
  const labels = current.manifest.labels;
  const dataset = await loadUserDataset(s3, config.bucket, config.model, labels);
  log(
    `users' labels of ${config.model}: ${dataset.train.length} train, ${dataset.eval.length} eval ` +
      `(${dataset.newlyAssigned} newly assigned; split s3://${config.bucket}/${userSplitKey(config.model)}), ` +
      `${dataset.skipped.length} skipped, ${dataset.join.notInLabelSet} outside the label set, ${dataset.join.otherModels} of other models`,
  );
  if (dataset.train.length === 0) {
    throw new Error(
      `no labelled uploads of ${config.model} to train on in s3://${config.bucket}: nothing to retrain`,
    );
  }

  const stagingRoot = path.resolve(options.staging, 'models');
  const candidateDir = path.join(stagingRoot, config.model, version);
  await rm(candidateDir, { recursive: true, force: true });
  const work = path.resolve(options.staging, 'work', `${config.model}-${version}`);
  await mkdir(work, { recursive: true });
  const trainItems = options.shuffleUserLabels ? shuffledLabels(dataset.train, options.seed) : dataset.train;
  const extraFile = path.join(work, 'user-train.npy');
  await writeFile(extraFile, userTrainingRows(trainItems));

  const splitSeed = await heldOutSplitSeed(config.model, current.manifest.training.seed);
  const args = [
    path.join(ROOT, 'training', 'train.py'),
    ...['--model', config.model, '--version', version, '--out', stagingRoot],
    ...['--seed', String(options.seed), '--split-seed', String(splitSeed), '--extra-data', extraFile],
    ...(options.epochs ? ['--epochs', String(options.epochs)] : []),
    ...(options.baseSubset ? ['--base-subset', String(options.baseSubset)] : []),
    ...(options.extraShare ? ['--extra-share', String(options.extraShare)] : []),
  ];
  log(
    `training: ${options.python} ${args.map((a) => (a.startsWith(`${ROOT}/`) ? path.relative(ROOT, a) : a)).join(' ')}`,
  );
  await runPython(options.python, args, options.trainTimeoutMs);

  const candidate = await readCandidate(candidateDir);
  const info: CandidateInfo = {
    model: config.model,
    version,
    basedOn: current.manifest.version,
    createdAt: new Date().toISOString(),
    training: {
      userTrainItems: dataset.train.length,
      userEvalItems: dataset.eval.length,
      baseTrainItems: candidate.manifest.training.trainSize - dataset.train.length,
      epochs: candidate.manifest.training.epochs,
      seed: options.seed,
      splitKey: dataset.split.splitKey,
    },
    splitObject: `s3://${config.bucket}/${userSplitKey(config.model)}`,
    shuffledUserLabels: options.shuffleUserLabels,
  };
  await writeFile(path.join(candidateDir, 'candidate.json'), `${JSON.stringify(info, null, 2)}\n`);
  log(
    `candidate: ${candidateDir} (held-out accuracy ${(candidate.manifest.training.heldOutAccuracy * 100).toFixed(2)}%)`,
  );

  const gate = await gateCandidate(config, s3, candidate, options, dataset);
  if (!options.promote && gate.passed) return { candidateDir, info, gate };
  const outcome = await decidePromotion(config, s3, {
    current,
    candidate,
    checks: gate.checks,
    passed: gate.passed,
    training: info.training,
  });
  return { candidateDir, info, gate, outcome };
}

/** The users' training items with their labels permuted (seeded Fisher–Yates): a control experiment. */
function shuffledLabels(items: readonly UserItem[], seed: number): UserItem[] {
  const random = seededRandom(seed ^ 0x51ed);
  const classes = items.map((item) => item.classIndex);
  for (let i = classes.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [classes[i], classes[j]] = [classes[j] as number, classes[i] as number];
  }
  return items.map((item, i) => ({ ...item, classIndex: classes[i] as number }));
}

/**
 * The seed of the base model's held-out split: from `training/splits/<model>-held-out.json` when it
 * exists (the gate's MNIST set is its test half, so the candidate must hold out the same images),
 * else the current version's training seed.
 */
async function heldOutSplitSeed(model: string, fallback: number): Promise<number> {
  const file = path.join(ROOT, 'training', 'splits', `${model}-held-out.json`);
  if (!existsSync(file)) return fallback;
  const { seed } = JSON.parse(await readFile(file, 'utf8')) as { seed?: unknown };
  return typeof seed === 'number' ? seed : fallback;
}

function runPython(python: string, args: string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    // stdout goes to stderr: the command's own stdout ends with its JSON line.
    const child = spawn(python, args, { cwd: ROOT, stdio: ['ignore', 2, 2] });
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(
        new Error(
          `could not start ${python}: ${error.message} (Debian's python3 with python3-torch; see training/README.md)`,
        ),
      );
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `training ended with ${signal ? `signal ${signal} (time limit ${timeoutMs / 1000} s?)` : `exit status ${code}`}`,
          ),
        );
    });
  });
}
