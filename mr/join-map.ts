import { labelRecordSchema } from '../contracts/labels.ts';
import { predictionSchema } from '../contracts/prediction.ts';
import { encodeJoinValue } from './join-values.ts';

/** What the join mapper makes of one input line. */
export type JoinMapResult =
  | { readonly kind: 'prediction' | 'label'; readonly key: string; readonly value: string }
  | { readonly kind: 'blank' }
  | { readonly kind: 'malformed'; readonly reason: string };

/**
 * The join job's mapper, for one line of input: a prediction record or a label record, told apart by
 * content (Hadoop hands the mapper lines, not file names). Emits the uploadId as the key. A line that is
 * not JSON, or that its schema rejects, is `malformed` with a reason naming the first bad field, e.g.
 * `invalid_prediction.confidence`.
 * @example mapLine('{"labelId":"…","uploadId":"u","label":"7","labeledAt":"…"}') // { kind: 'label', key: 'u', value: 'L\t…' }
 */
export function mapLine(line: string): JoinMapResult {
  const text = line.trim();
  if (text === '') return { kind: 'blank' };
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch {
    return { kind: 'malformed', reason: 'invalid_json' };
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    return { kind: 'malformed', reason: 'not_an_object' };
  }
  const isPrediction = 'predictedAt' in record;
  const isLabel = 'labelId' in record;
  if (isPrediction === isLabel) return { kind: 'malformed', reason: 'unknown_record' };

  if (isPrediction) {
    const parsed = predictionSchema.safeParse(record);
    if (!parsed.success)
      return { kind: 'malformed', reason: `invalid_prediction.${firstPath(parsed.error)}` };
    const p = parsed.data;
    return {
      kind: 'prediction',
      key: p.uploadId,
      value: encodeJoinValue({
        kind: 'P',
        predictedAt: p.predictedAt,
        model: p.model,
        modelVersion: p.modelVersion,
        label: p.label,
        confidence: p.confidence,
        outOfDistribution: p.outOfDistribution === true,
      }),
    };
  }
  const parsed = labelRecordSchema.safeParse(record);
  if (!parsed.success) return { kind: 'malformed', reason: `invalid_label.${firstPath(parsed.error)}` };
  const l = parsed.data;
  return {
    kind: 'label',
    key: l.uploadId,
    value: encodeJoinValue({
      kind: 'L',
      labeledAt: l.labeledAt,
      labelId: l.labelId,
      label: l.label,
      deviceLabel: l.device?.label,
      asked: l.source === 'asked',
    }),
  };
}

function firstPath(error: { issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey> }> }): string {
  const path = error.issues[0]?.path ?? [];
  // Counter names are `group,counter`: keep them free of commas and other punctuation.
  return path.length === 0 ? 'record' : path.map((p) => String(p).replace(/[^A-Za-z0-9_]/g, '_')).join('.');
}
