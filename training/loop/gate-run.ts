import type { ModelVersionFiles } from '../../platform/model-repository.ts';
import { type BootstrapOptions, DEFAULT_BOOTSTRAP } from './bootstrap.ts';
import { GATE_MARGINS, type GateMargins, type GateResult, runGate } from './gate.ts';
import { buildGateSets, type GateSetOptions } from './gate-sets.ts';
import { scoreModel } from './model-scorer.ts';
import type { UserItem } from './user-dataset.ts';

export interface GateRun extends GateResult {
  /** Whether the font sets (digits and letters) were part of it. */
  readonly fonts: boolean;
}

/** Builds the evaluation sets, runs both models on them and on the users' held-out labels, and scores the checks. */
export async function evaluateCandidate(
  current: ModelVersionFiles,
  candidate: ModelVersionFiles,
  userEval: readonly UserItem[],
  options: GateSetOptions & { readonly margins?: GateMargins; readonly bootstrap?: BootstrapOptions },
): Promise<GateRun> {
  if (current.manifest.labels.join('\n') !== candidate.manifest.labels.join('\n')) {
    throw new Error(
      `the candidate's labels (${candidate.manifest.labels.join(', ')}) differ from the current version's: the gate compares like with like`,
    );
  }
  const { items, fonts } = await buildGateSets(options);
  const inputs = items.map((item) => item.input);
  const userInputs = userEval.map((item) => item.input);
  const [currentVerdicts, candidateVerdicts] = [
    await scoreModel(current.manifest, current.modelPath, [...inputs, ...userInputs]),
    await scoreModel(candidate.manifest, candidate.modelPath, [...inputs, ...userInputs]),
  ];
  const result = runGate(
    {
      items,
      current: currentVerdicts.slice(0, items.length),
      candidate: candidateVerdicts.slice(0, items.length),
      user: {
        truth: userEval.map((item) => item.label),
        current: currentVerdicts.slice(items.length),
        candidate: candidateVerdicts.slice(items.length),
      },
      labels: current.manifest.labels,
    },
    options.margins ?? GATE_MARGINS,
    options.bootstrap ?? DEFAULT_BOOTSTRAP,
  );
  return { ...result, fonts };
}
