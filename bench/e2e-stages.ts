import { readFile } from 'node:fs/promises';
import type { UserTiming } from './e2e-user.ts';

/** Where one upload's time went, in ms, from the components' own log fields. */
export interface StageBreakdown {
  /** PUT answered → the handler started (S3's notification and the Lambda invocation). */
  readonly dispatch: number;
  /** Handler start → the upload's bytes in hand (the outcome check and the object GET). */
  readonly objectRead: number;
  /** Bytes in hand → verdict (the inference host, its queue included). */
  readonly inference: number;
  /** Verdict → the prediction and outcome records written (in parallel with delivery). */
  readonly outcomeWrite: number;
  /** Verdict → the gateway has the result's request (signing, the POST's trip). */
  readonly toGateway: number;
  /** The gateway's own work: body, signature, schema, store, publish. */
  readonly gatewayIngest: number;
  /** Published → the client has the message. */
  readonly push: number;
}

export const STAGE_NAMES = [
  'dispatch',
  'objectRead',
  'inference',
  'outcomeWrite',
  'toGateway',
  'gatewayIngest',
  'push',
] as const satisfies ReadonlyArray<keyof StageBreakdown>;

interface LambdaStages {
  readonly startedAt: number;
  readonly readAt: number;
  readonly inferredAt: number;
  readonly recordedAt: number;
}

interface GatewayStages {
  readonly receivedAt: number;
  readonly publishedAt: number;
}

/** The stage times the handler (`record processed`) and the gateway (`result received`) logged, by upload. */
export async function readStageLogs(
  s3Log: string,
  gatewayLog: string,
): Promise<{ lambda: Map<string, LambdaStages>; gateway: Map<string, GatewayStages> }> {
  const lambda = new Map<string, LambdaStages>();
  const gateway = new Map<string, GatewayStages>();
  for (const entry of jsonLines(await readFile(s3Log, 'utf8'))) {
    const stages = entry.stages as Partial<LambdaStages> | undefined;
    if (entry.msg !== 'record processed' || typeof entry.uploadId !== 'string' || !stages) continue;
    const { startedAt, readAt, inferredAt, recordedAt } = stages;
    if (startedAt && readAt && inferredAt && recordedAt) {
      lambda.set(entry.uploadId, { startedAt, readAt, inferredAt, recordedAt });
    }
  }
  for (const entry of jsonLines(await readFile(gatewayLog, 'utf8'))) {
    if (entry.msg !== 'result received' || typeof entry.uploadId !== 'string') continue;
    if (entry.outcome === 'duplicate') continue;
    if (typeof entry.receivedAt === 'number' && typeof entry.time === 'number') {
      gateway.set(entry.uploadId, { receivedAt: entry.receivedAt, publishedAt: entry.time });
    }
  }
  return { lambda, gateway };
}

/** The breakdown of each upload whose stages were all logged. */
export function breakdowns(
  timings: readonly UserTiming[],
  logs: Awaited<ReturnType<typeof readStageLogs>>,
): StageBreakdown[] {
  return timings.flatMap((t) => {
    const l = logs.lambda.get(t.uploadId);
    const g = logs.gateway.get(t.uploadId);
    if (!l || !g) return [];
    return [
      {
        dispatch: l.startedAt - t.putDoneAt,
        objectRead: l.readAt - l.startedAt,
        inference: l.inferredAt - l.readAt,
        outcomeWrite: l.recordedAt - l.inferredAt,
        toGateway: g.receivedAt - l.inferredAt,
        gatewayIngest: g.publishedAt - g.receivedAt,
        push: t.verdictAt - g.publishedAt,
      },
    ];
  });
}

function* jsonLines(text: string): Generator<Record<string, unknown>> {
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      yield JSON.parse(line) as Record<string, unknown>;
    } catch {
      // not a log line
    }
  }
}
