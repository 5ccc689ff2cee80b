import { randomUUID } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type GateCheck, type ModelDecision, modelDecisionSchema } from '../../contracts/model-decision.ts';
import { modelDecisionKey } from '../../contracts/s3-keys.ts';

/** One gate check as the promotion gate records it: a paired bootstrap CI of candidate − current. */
export function gateCheck(name: string, current: number, candidate: number, passed: boolean): GateCheck {
  const estimate = candidate - current;
  return {
    name,
    metric: 'top-1 accuracy',
    better: 'higher',
    rule: name === 'user-labels' ? 'better' : 'not-worse',
    margin: name === 'user-labels' ? 0 : 0.005,
    items: 400,
    current,
    candidate,
    difference: { estimate, low: estimate - 0.02, high: estimate + 0.02, confidence: 0.95, resamples: 2000 },
    passed,
    reason: passed ? 'the interval lies on the right side' : 'the interval reaches below the margin',
  };
}

/** A decision record valid by contracts/model-decision.ts, decided `minutesAgo` before now. */
export function sampleDecision(
  outcome: ModelDecision['outcome'],
  fromVersion: string,
  toVersion: string,
  minutesAgo: number,
  model = 'digits',
): ModelDecision {
  const promoted = outcome === 'promoted';
  return modelDecisionSchema.parse({
    decisionId: randomUUID(),
    model,
    kind: outcome === 'rolled-back' ? 'rollback' : 'promotion',
    outcome,
    fromVersion,
    toVersion,
    decidedAt: new Date(Date.now() - minutesAgo * 60_000).toISOString(),
    by: outcome === 'rolled-back' ? 'npm run rollback' : 'npm run retrain',
    summary:
      outcome === 'rolled-back'
        ? `Rolled back from version ${fromVersion} to ${toVersion}.`
        : promoted
          ? `Version ${toVersion} is better on people's labels and not worse elsewhere.`
          : `Version ${toVersion} was refused: it is not better on people's labels.`,
    checks:
      outcome === 'rolled-back'
        ? []
        : [
            gateCheck('user-labels', 0.81, promoted ? 0.9 : 0.8, promoted),
            gateCheck('mnist-held-out', 0.992, 0.991, true),
          ],
  });
}

/** Stores `decision` where the learning loop writes it (`model-decisions/<model>/<decidedAt>-<id>.json`). */
export async function putDecision(s3: S3Client, bucket: string, decision: ModelDecision): Promise<string> {
  const key = modelDecisionKey(decision.model, new Date(decision.decidedAt), decision.decisionId);
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: JSON.stringify(decision),
      ContentType: 'application/json',
    }),
  );
  return key;
}
