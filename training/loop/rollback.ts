import { randomUUID } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ModelDecision } from '../../contracts/model-decision.ts';
import { readDecisions, recordDecision } from './decision-store.ts';
import type { LoopConfig } from './loop-config.ts';
import { currentVersions } from './model-versions.ts';
import { type DecisionOutcome, propagate, setDefault } from './promotion.ts';
import { rollbackTarget } from './rollback-target.ts';
import { syncFromS3 } from './s3-repository.ts';

/**
 * Returns the model to the version its current default replaced (from the decision history in the
 * bucket): records the rollback, points serving.json at it, reloads the hosts, rebuilds the app. The
 * rolled-back version's folder stays (auditable, loadable by naming its version).
 */
export async function rollBack(config: LoopConfig, s3: S3Client): Promise<DecisionOutcome> {
  if (config.repositoryS3) await syncFromS3(s3, config.repositoryS3, config.repository, config.model);
  const { versions, defaultVersion } = await currentVersions(config.repository, config.model);
  const current = defaultVersion.manifest.version;
  const history = await readDecisions(s3, config.bucket, config.model);
  const target = rollbackTarget(history, current);
  if (target === null) {
    throw new Error(
      `v${current} of ${config.model} was never promoted by the loop (no promotion to it in model-decisions/${config.model}/): nothing to roll back to`,
    );
  }
  if (!versions.some((v) => v.manifest.version === target)) {
    throw new Error(
      `the previous default v${target} is not a servable version in ${config.repository}/${config.model}: restore its folder first`,
    );
  }
  const decidedAt = new Date();
  const decision: ModelDecision = {
    decisionId: randomUUID(),
    model: config.model,
    kind: 'rollback',
    outcome: 'rolled-back',
    fromVersion: current,
    toVersion: target,
    decidedAt: decidedAt.toISOString(),
    by: config.by,
    summary: `rolled back from v${current} to v${target}; v${current} stays in the repository, loadable by version`,
    checks: [],
  };
  const key = await recordDecision(s3, config.bucket, decision);
  await setDefault(config, s3, {
    model: config.model,
    defaultVersion: target,
    changedAt: decidedAt.toISOString(),
    decisionId: decision.decisionId,
  });
  return { decision, key, ...(await propagate(config)) };
}
