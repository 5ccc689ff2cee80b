import { randomUUID } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import type { GateCheck, ModelDecision } from '../../contracts/model-decision.ts';
import type { ServingPolicy } from '../../contracts/serving-policy.ts';
import type { ModelVersionFiles } from '../../platform/model-repository.ts';
import { rebuildApp, shouldRebuildApp } from './app-rebuild.ts';
import { recordDecision } from './decision-store.ts';
import { type HostReload, reloadHosts } from './host-reload.ts';
import type { LoopConfig } from './loop-config.ts';
import { installVersion } from './model-versions.ts';
import { publishServingPolicy, publishVersion } from './s3-repository.ts';
import { writeServingPolicy } from './serving-policy-writer.ts';

/** What a decision did: its record, where it went, and what the hosts and the app build said. */
export interface DecisionOutcome {
  readonly decision: ModelDecision;
  readonly key: string;
  readonly installedAt?: string;
  readonly reloads: HostReload[];
  readonly rebuild?: { ok: boolean; detail: string };
}

/**
 * Acts on the gate's verdict. Passed: the candidate is copied into the repository (atomically), the
 * promotion recorded, `serving.json` pointed at it, every host asked to reload and the app rebuilt.
 * Failed: the refusal is recorded with the same figures and nothing else changes.
 */
export async function decidePromotion(
  config: LoopConfig,
  s3: S3Client,
  args: {
    readonly current: ModelVersionFiles;
    readonly candidate: ModelVersionFiles;
    readonly checks: GateCheck[];
    readonly passed: boolean;
    readonly training?: ModelDecision['training'];
  },
): Promise<DecisionOutcome> {
  const decidedAt = new Date();
  const from = args.current.manifest.version;
  const to = args.candidate.manifest.version;
  const failed = args.checks.filter((c) => !c.passed).map((c) => c.name);
  const decision: ModelDecision = {
    decisionId: randomUUID(),
    model: config.model,
    kind: 'promotion',
    outcome: args.passed ? 'promoted' : 'refused',
    fromVersion: from,
    toVersion: to,
    decidedAt: decidedAt.toISOString(),
    by: config.by,
    summary: args.passed
      ? `v${to} promoted over v${from}: better on the users' held-out labels and not worse on the other ${args.checks.length - 1} checks`
      : `v${to} refused, v${from} stays: failed ${failed.join(', ')}`,
    checks: args.checks,
    ...(args.training ? { training: args.training } : {}),
  };
  if (!args.passed) {
    return { decision, key: await recordDecision(s3, config.bucket, decision), reloads: [] };
  }
  const installedAt = await installVersion(args.candidate, config.repository);
  const published = config.repositoryS3
    ? await publishVersion(s3, config.repositoryS3, args.candidate)
    : undefined;
  const key = await recordDecision(s3, config.bucket, decision);
  await setDefault(config, s3, {
    model: config.model,
    defaultVersion: to,
    changedAt: decidedAt.toISOString(),
    decisionId: decision.decisionId,
  });
  return {
    decision,
    key,
    installedAt: published ? `${installedAt} and ${published}` : installedAt,
    ...(await propagate(config)),
  };
}

/** Writes serving.json in the local repository and, when there is one, in its S3 copy (last of all). */
export async function setDefault(config: LoopConfig, s3: S3Client, policy: ServingPolicy): Promise<void> {
  await writeServingPolicy(config.repository, policy);
  if (config.repositoryS3) await publishServingPolicy(s3, config.repositoryS3, policy);
}

/** After serving.json changed: every host reloads the model, and the app is rebuilt when it should be. */
export async function propagate(
  config: LoopConfig,
): Promise<{ reloads: HostReload[]; rebuild?: { ok: boolean; detail: string } }> {
  const reloads = await reloadHosts(config.inferenceUrls, config.model);
  if (!shouldRebuildApp(config.rebuildApp, config.repository)) return { reloads };
  return { reloads, rebuild: await rebuildApp() };
}

/** Lines for the console: where the record went, what each host said, the app build. */
export function describeOutcome(outcome: DecisionOutcome): string[] {
  const d = outcome.decision;
  return [
    `decision: ${d.outcome} (${d.kind}) v${d.fromVersion} → v${d.toVersion}: ${d.summary}`,
    `recorded: s3 ${outcome.key}`,
    ...(outcome.installedAt ? [`installed: ${outcome.installedAt}`] : []),
    ...outcome.reloads.map(
      (r) => `host ${r.url}: ${r.ok ? 'reloaded' : 'NOT reloaded'} (${r.status ?? '—'}) ${r.detail}`,
    ),
    ...(outcome.rebuild
      ? [`app: ${outcome.rebuild.ok ? 'rebuilt' : 'rebuild FAILED'} (${outcome.rebuild.detail})`]
      : []),
  ];
}
