import type { S3Client } from '@aws-sdk/client-s3';
import type { ModelVersionFiles } from '../../platform/model-repository.ts';
import type { BootstrapOptions } from './bootstrap.ts';
import type { GateMargins } from './gate.ts';
import { formatGateTable } from './gate-report.ts';
import { evaluateCandidate, type GateRun } from './gate-run.ts';
import type { GateSetOptions } from './gate-sets.ts';
import type { LoopConfig } from './loop-config.ts';
import { currentVersions } from './model-versions.ts';
import { loadUserDataset, type UserDataset } from './user-dataset.ts';

export interface GateOptions extends GateSetOptions {
  readonly margins?: GateMargins;
  readonly bootstrap?: BootstrapOptions;
}

export interface CandidateGate extends GateRun {
  readonly current: ModelVersionFiles;
  readonly candidate: ModelVersionFiles;
  readonly dataset: UserDataset;
  /** The readable table (the caller prints it). */
  readonly table: string;
}

/**
 * The gate for one candidate against the repository's current default version: the users' held-out
 * labels from the bucket (the split's eval part, extended with new uploads), the standard sets, both
 * models through onnxruntime-node.
 */
export async function gateCandidate(
  config: LoopConfig,
  s3: S3Client,
  candidate: ModelVersionFiles,
  options: GateOptions,
  dataset?: UserDataset,
): Promise<CandidateGate> {
  if (candidate.manifest.name !== config.model) {
    throw new Error(`the candidate is a ${candidate.manifest.name} model, not ${config.model}`);
  }
  const { defaultVersion: current } = await currentVersions(config.repository, config.model);
  const data = dataset ?? (await loadUserDataset(s3, config.bucket, config.model, current.manifest.labels));
  const run = await evaluateCandidate(current, candidate, data.eval, options);
  const table = formatGateTable(run.checks, current.manifest.version, candidate.manifest.version);
  return { ...run, current, candidate, dataset: data, table };
}

/** The gate's figures as one JSON-able object (the last line of the commands' output). */
export function gateSummary(gate: CandidateGate, decision?: { outcome: string; key: string }) {
  return {
    model: gate.candidate.manifest.name,
    current: gate.current.manifest.version,
    candidate: gate.candidate.manifest.version,
    passed: gate.passed,
    fonts: gate.fonts,
    userTrain: gate.dataset.train.length,
    userEval: gate.dataset.eval.length,
    checks: gate.checks.map((c) => ({
      name: c.name,
      rule: c.rule,
      margin: c.margin,
      items: c.items,
      current: round(c.current),
      candidate: round(c.candidate),
      difference: round(c.difference.estimate),
      low: round(c.difference.low),
      high: round(c.difference.high),
      passed: c.passed,
    })),
    ...(decision ? { decision } : {}),
  };
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;

/** A line saying which sets the gate used, fonts included or not and why. */
export function gateSetsLine(gate: CandidateGate): string {
  return gate.fonts
    ? "sets: users' held-out labels, MNIST held-out test half, MNIST photos, font digits, non-digits (clothing, doodles, blank and textured paper, letters)"
    : "sets: users' held-out labels, MNIST held-out test half, MNIST photos, non-digits (clothing, doodles, blank and textured paper); font digits and letters left out: the evaluation fonts are not installed (training/README.md)";
}

/**
 * What `gate` and `retrain` print: which models, which sets, the table, `outcomeLines` (the promotion's
 * or refusal's), and as the very last line the same figures as one JSON line.
 */
export function printGateResult(
  gate: CandidateGate,
  outcomeLines: readonly string[],
  decision?: { outcome: string; key: string },
): void {
  console.log(
    `\ngate: v${gate.candidate.manifest.version} (candidate) against v${gate.current.manifest.version} (current default)`,
  );
  console.log(gateSetsLine(gate));
  console.log(gate.table);
  for (const line of outcomeLines) console.log(line);
  console.log(JSON.stringify(gateSummary(gate, decision)));
}
