/**
 * `npm run retrain -- --model digits [options]`: trains a candidate on the users' labelled uploads plus
 * the base data, runs the gate against the current default, and promotes it when it passes. Prints the
 * gate's table and, as the last line, the same figures as JSON. See training/loop/README.md.
 */
import { createS3Client } from '../../platform/s3-client.ts';
import { printGateResult } from './candidate-gate.ts';
import {
  COMMON_USAGE,
  failureMessage,
  gateSetOptions,
  intOption,
  loopConfig,
  parseCommandLine,
  UsageError,
} from './loop-config.ts';
import { describeOutcome } from './promotion.ts';
import { retrain } from './retrain.ts';

const USAGE = `npm run retrain -- --model digits [options]

${COMMON_USAGE}
  --epochs <n>            training epochs (default: the training script's, digits 25)
  --base-subset <n>       train on n base images only (small-scale runs and tests)
  --seed <n>              training seed (default 4651)
  --staging <dir>         staging area; the candidate goes to <dir>/models/<model>/<version>/ (default .data/staging)
  --no-promote            stop after the gate: a passing candidate stays in staging (a refusal is still recorded)
  --fonts auto|on|off     font digits and letters in the gate (auto: when the fonts are installed)
  --ood-per-kind <n>      non-digit photos per kind in the gate (default 60)
  --extra-share <x>       share of each epoch made of the users' images, oversampled (default 0.2)
  --shuffle-user-labels   control experiment: permute the users' training labels (the gate must refuse it)
  --python <path>         the Python with torch (default /usr/bin/python3)`;

async function main(argv: string[]): Promise<number> {
  const { values } = parseCommandLine(
    argv,
    {
      epochs: { type: 'string' },
      'base-subset': { type: 'string' },
      seed: { type: 'string' },
      staging: { type: 'string', default: '.data/staging' },
      'no-promote': { type: 'boolean', default: false },
      fonts: { type: 'string', default: 'auto' },
      'ood-per-kind': { type: 'string' },
      'extra-share': { type: 'string' },
      'shuffle-user-labels': { type: 'boolean', default: false },
      python: { type: 'string', default: '/usr/bin/python3' },
      'train-timeout-min': { type: 'string' },
    },
    USAGE,
  );
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const config = loopConfig(values, 'retrain');
  const extraShare = values['extra-share'] === undefined ? undefined : Number(values['extra-share']);
  if (extraShare !== undefined && !(extraShare > 0 && extraShare < 1))
    throw new UsageError('--extra-share must be between 0 and 1');
  const s3 = createS3Client(config.s3);
  try {
    const result = await retrain(
      config,
      s3,
      {
        epochs: intOption(values.epochs, 'epochs'),
        baseSubset: intOption(values['base-subset'], 'base-subset'),
        seed: intOption(values.seed, 'seed', 4651) as number,
        staging: values.staging as string,
        promote: !values['no-promote'],
        ...gateSetOptions(values),
        shuffleUserLabels: values['shuffle-user-labels'] === true,
        extraShare,
        python: values.python as string,
        trainTimeoutMs: (intOption(values['train-timeout-min'], 'train-timeout-min', 180) as number) * 60_000,
      },
      (line) => console.error(line),
    );
    printGateResult(
      result.gate,
      result.outcome
        ? describeOutcome(result.outcome)
        : [`gate passed; not promoted (--no-promote): the candidate stays in ${result.candidateDir}`],
      result.outcome ? { outcome: result.outcome.decision.outcome, key: result.outcome.key } : undefined,
    );
    return result.gate.passed ? 0 : 3;
  } finally {
    s3.destroy();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(failureMessage('retrain', error));
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
