/**
 * `npm run rollback -- --model digits`: the model's default goes back to the version its current
 * default replaced (from the decision history), on every host and in the app. Last line: JSON.
 */
import { createS3Client } from '../../platform/s3-client.ts';
import { COMMON_USAGE, failureMessage, loopConfig, parseCommandLine, UsageError } from './loop-config.ts';
import { describeOutcome } from './promotion.ts';
import { rollBack } from './rollback.ts';

const USAGE = `npm run rollback -- --model digits [options]

${COMMON_USAGE}`;

async function main(argv: string[]): Promise<number> {
  const { values } = parseCommandLine(argv, {}, USAGE);
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const config = loopConfig(values, 'rollback');
  const s3 = createS3Client(config.s3);
  try {
    const outcome = await rollBack(config, s3);
    for (const line of describeOutcome(outcome)) console.log(line);
    console.log(
      JSON.stringify({
        model: config.model,
        fromVersion: outcome.decision.fromVersion,
        toVersion: outcome.decision.toVersion,
        decision: outcome.key,
        hosts: outcome.reloads.map((r) => ({ url: r.url, ok: r.ok, status: r.status ?? null })),
        ...(outcome.rebuild ? { appRebuilt: outcome.rebuild.ok } : {}),
      }),
    );
    return 0;
  } finally {
    s3.destroy();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(failureMessage('rollback', error));
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
