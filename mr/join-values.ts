/**
 * The join job's intermediate values: what the mapper emits after the uploadId key, as tab-separated
 * fields. A field's own backslash, tab, CR and LF are escaped (`\\`, `\t`, `\r`, `\n`), so a label may hold
 * any character and a value stays one line.
 */

/** A prediction, reduced to what the metrics need. */
export interface PredictionValue {
  readonly kind: 'P';
  readonly predictedAt: string;
  readonly model: string;
  readonly modelVersion: string;
  readonly label: string;
  readonly confidence: number;
  /** The model flagged the image as not what it knows; written as a 7th field `ood` only when true. */
  readonly outOfDistribution?: boolean | undefined;
}

/** A label, reduced to what the metrics need. */
export interface LabelValue {
  readonly kind: 'L';
  readonly labeledAt: string;
  readonly labelId: string;
  readonly label: string;
  readonly deviceLabel?: string | undefined;
  /** The app asked for this label (uncertainty sampling); written as kind `A` instead of `L`. */
  readonly asked?: boolean | undefined;
}

export type JoinValue = PredictionValue | LabelValue;

const NEEDS_ESCAPE = /[\t\n\r\\]/;

function escapeField(field: string): string {
  if (!NEEDS_ESCAPE.test(field)) return field;
  return field.replace(/[\t\n\r\\]/g, (c) =>
    c === '\t' ? '\\t' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\\\',
  );
}

function unescapeField(field: string): string {
  if (!field.includes('\\')) return field;
  return field.replace(/\\(.)/g, (_, c: string) =>
    c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : c,
  );
}

export function encodeJoinValue(value: JoinValue): string {
  if (value.kind === 'P') {
    const base = `P\t${value.predictedAt}\t${escapeField(value.model)}\t${escapeField(value.modelVersion)}\t${escapeField(value.label)}\t${value.confidence}`;
    return value.outOfDistribution ? `${base}\tood` : base;
  }
  // An asked label is kind `A`: values written before labels had a source read as volunteered.
  const base = `${value.asked ? 'A' : 'L'}\t${value.labeledAt}\t${value.labelId}\t${escapeField(value.label)}`;
  return value.deviceLabel === undefined ? base : `${base}\t${escapeField(value.deviceLabel)}`;
}

/** The value, or null when it is not one this job's mapper writes. */
export function decodeJoinValue(encoded: string): JoinValue | null {
  const f = encoded.split('\t');
  if (f[0] === 'P' && (f.length === 6 || (f.length === 7 && f[6] === 'ood'))) {
    const confidence = Number(f[5]);
    if (!(confidence >= 0 && confidence <= 1)) return null;
    return {
      kind: 'P',
      predictedAt: f[1] as string,
      model: unescapeField(f[2] as string),
      modelVersion: unescapeField(f[3] as string),
      label: unescapeField(f[4] as string),
      confidence,
      ...(f.length === 7 ? { outOfDistribution: true } : {}),
    };
  }
  if ((f[0] === 'L' || f[0] === 'A') && (f.length === 4 || f.length === 5)) {
    return {
      kind: 'L',
      labeledAt: f[1] as string,
      labelId: f[2] as string,
      label: unescapeField(f[3] as string),
      deviceLabel: f.length === 5 ? unescapeField(f[4] as string) : undefined,
      ...(f[0] === 'A' ? { asked: true } : {}),
    };
  }
  return null;
}
