/**
 * `npm run gate -- --model digits --candidate <dir> [--promote]`: the promotion gate for a staged
 * candidate against the current default. Prints the table and, as the last line, the figures as JSON.
 * Exit status 0 when it passes, 3 when it does not. With `--promote` it also acts: promotes a passing
 * candidate, records a refusal.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ModelDecision } from '../../contracts/model-decision.ts';
import { createS3Client } from '../../platform/s3-client.ts';
import { gateCandidate, printGateResult } from './candidate-gate.ts';
import {
  COMMON_USAGE,
  failureMessage,
  gateSetOptions,
  loopConfig,
  parseCommandLine,
  UsageError,
} from './loop-config.ts';
import { readCandidate } from './model-versions.ts';
import { decidePromotion, describeOutcome } from './promotion.ts';
import type { CandidateInfo } from './retrain.ts';
import { syncFromS3 } from './s3-repository.ts';

const USAGE = `npm run gate -- --model digits --candidate <dir> [options]

  --candidate <dir>       the staged version folder, e.g. .data/staging/models/digits/3
  --promote               act on the verdict: promote when it passes, record a refusal when not
  --fonts auto|on|off     font digits and letters (auto: when the fonts are installed)
  --ood-per-kind <n>      non-digit photos per kind (default 60)
${COMMON_USAGE}`;

async function main(argv: string[]): Promise<number> {
  const { values } = parseCommandLine(
    argv,
    {
      candidate: { type: 'string' },
      promote: { type: 'boolean', default: false },
      fonts: { type: 'string', default: 'auto' },
      'ood-per-kind': { type: 'string' },
    },
    USAGE,
  );
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const config = loopConfig(values, 'gate');
  const setOptions = gateSetOptions(values);
  if (typeof values.candidate !== 'string') throw new UsageError(`--candidate is required\n\n${USAGE}`);
  const candidate = await readCandidate(values.candidate);
  const info = await readFile(path.join(candidate.folder, 'candidate.json'), 'utf8').then(
    (text) => JSON.parse(text) as CandidateInfo,
    () => undefined,
  );
  const s3 = createS3Client(config.s3);
  try {
    if (config.repositoryS3) await syncFromS3(s3, config.repositoryS3, config.repository, config.model);
    const gate = await gateCandidate(config, s3, candidate, setOptions);
    let decision: { outcome: string; key: string } | undefined;
    let outcomeLines: string[] = [];
    if (values.promote) {
      const training: ModelDecision['training'] = info?.training;
      const outcome = await decidePromotion(config, s3, {
        current: gate.current,
        candidate,
        checks: gate.checks,
        passed: gate.passed,
        ...(training ? { training } : {}),
      });
      outcomeLines = describeOutcome(outcome);
      decision = { outcome: outcome.decision.outcome, key: outcome.key };
    }
    printGateResult(gate, outcomeLines, decision);
    return gate.passed ? 0 : 3;
  } finally {
    s3.destroy();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(failureMessage('gate', error));
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
