import { labelRecordSchema } from '../../contracts/labels.ts';
import type { AccuracyMetrics, ClassificationMetrics, ModelMetrics } from '../../contracts/metrics.ts';
import { predictionSchema } from '../../contracts/prediction.ts';
import { compareLabels, type ManifestLabels, orderClasses } from '../class-order.ts';

/**
 * A straightforward, in-memory computation of the same metrics, written independently of the job
 * (no partial counts, no codecs, textbook formulas) for the tests to check the job against: parse every
 * line, deduplicate, join, then compute each metric from the per-upload lists.
 */

interface Row {
  truth: string;
  verdict: string;
  confidence: number;
  device?: string | undefined;
}

export function referenceMetrics(
  lines: readonly string[],
  manifests: ManifestLabels,
  /** Count labels outside their model version's manifest as invalid, as the job does given class lists. */
  options: { readonly checkLabels?: boolean } = {},
): Omit<AccuracyMetrics, 'runId' | 'generatedAt'> {
  type P = ReturnType<typeof predictionSchema.parse>;
  type L = ReturnType<typeof labelRecordSchema.parse>;
  const predictions = new Map<string, P[]>();
  const labels = new Map<string, L[]>();
  let predictionRecords = 0;
  let labelRecords = 0;
  const malformed: Record<string, number> = {};
  for (const line of lines) {
    if (line.trim() === '') continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      malformed.invalid_json = (malformed.invalid_json ?? 0) + 1;
      continue;
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      malformed.not_an_object = (malformed.not_an_object ?? 0) + 1;
      continue;
    }
    const isP = 'predictedAt' in json;
    const isL = 'labelId' in json;
    if (isP === isL) {
      malformed.unknown_record = (malformed.unknown_record ?? 0) + 1;
      continue;
    }
    const parsed = isP ? predictionSchema.safeParse(json) : labelRecordSchema.safeParse(json);
    if (!parsed.success) {
      const reason = `${isP ? 'invalid_prediction' : 'invalid_label'}.${parsed.error.issues[0]?.path.join('.') || 'record'}`;
      malformed[reason] = (malformed[reason] ?? 0) + 1;
      continue;
    }
    if (isP) {
      predictionRecords++;
      const p = parsed.data as P;
      predictions.set(p.uploadId, [...(predictions.get(p.uploadId) ?? []), p]);
    } else {
      labelRecords++;
      const l = parsed.data as L;
      labels.set(l.uploadId, [...(labels.get(l.uploadId) ?? []), l]);
    }
  }

  // Per upload: the latest prediction, each labelId once, the latest label.
  type Coverage = ClassificationMetrics['coverage'];
  const groups = new Map<
    string,
    {
      model: string;
      version: string;
      days: Map<string, { rows: Row[]; asked: Row[]; cov: Coverage; ood: number }>;
    }
  >();
  let labelsWithoutPrediction = 0;
  let dupPredictions = 0;
  let dupLabels = 0;
  let superseded = 0;
  let predictionsWithoutLabel = 0;
  let invalidLabels = 0;
  const uploads = new Set([...predictions.keys(), ...labels.keys()]);
  for (const uploadId of uploads) {
    const ps = predictions.get(uploadId) ?? [];
    const ls = labels.get(uploadId) ?? [];
    const distinct = [...new Set(ls.map((l) => l.labelId))];
    dupLabels += ls.length - distinct.length;
    superseded += Math.max(0, distinct.length - 1);
    // Labels of an upload with no prediction count in the run totals only.
    dupPredictions += Math.max(0, ps.length - 1);
    const dayCoverage = {
      duplicateLabels: ls.length - distinct.length,
      supersededLabels: Math.max(0, distinct.length - 1),
      duplicatePredictions: Math.max(0, ps.length - 1),
    };
    const latestLabel = ls
      .slice()
      .sort(
        (a, b) =>
          Date.parse(a.labeledAt) - Date.parse(b.labeledAt) ||
          (a.labelId < b.labelId ? -1 : a.labelId > b.labelId ? 1 : 0),
      )
      .at(-1);
    const latestPrediction = ps
      .slice()
      .sort(
        (a, b) =>
          Date.parse(a.predictedAt) - Date.parse(b.predictedAt) ||
          (a.label < b.label ? -1 : a.label > b.label ? 1 : 0),
      )
      .at(-1);
    if (!latestPrediction) {
      if (latestLabel) labelsWithoutPrediction++;
      continue;
    }
    const id = `${latestPrediction.model} ${latestPrediction.modelVersion}`;
    let g = groups.get(id);
    if (!g) {
      g = { model: latestPrediction.model, version: latestPrediction.modelVersion, days: new Map() };
      groups.set(id, g);
    }
    const dayKey = latestPrediction.predictedAt.slice(0, 10);
    let day = g.days.get(dayKey);
    if (!day) {
      day = {
        rows: [],
        asked: [],
        cov: {
          predictionsWithoutLabel: 0,
          duplicatePredictions: 0,
          duplicateLabels: 0,
          supersededLabels: 0,
          invalidLabels: 0,
        },
        ood: 0,
      };
      g.days.set(dayKey, day);
    }
    day.cov.duplicateLabels += dayCoverage.duplicateLabels;
    day.cov.supersededLabels += dayCoverage.supersededLabels;
    day.cov.duplicatePredictions += dayCoverage.duplicatePredictions;
    if (latestPrediction.outOfDistribution === true) day.ood++;
    if (!latestLabel) {
      predictionsWithoutLabel++;
      day.cov.predictionsWithoutLabel++;
      continue;
    }
    const classes = manifests[latestPrediction.model]?.[latestPrediction.modelVersion];
    if (options.checkLabels && !classes?.includes(latestLabel.label)) {
      invalidLabels++;
      day.cov.invalidLabels++;
      continue;
    }
    // Asked labels are scored apart from the headline (volunteered) figures.
    (latestLabel.source === 'asked' ? day.asked : day.rows).push({
      truth: latestLabel.label,
      verdict: latestPrediction.label,
      confidence: latestPrediction.confidence,
      device: latestLabel.device?.label,
    });
  }
  const models: ModelMetrics[] = [...groups.values()]
    .sort((a, b) => compareLabels(a.model, b.model) || compareLabels(a.version, b.version))
    .map((g) => {
      const days = [...g.days.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
      const all = days.flatMap(([, d]) => d.rows);
      const seen = all.flatMap((r) => [r.truth, r.verdict]);
      const classes = orderClasses(seen, manifests[g.model]?.[g.version]);
      const total = (pick: (c: Coverage) => number) => days.reduce((s, [, d]) => s + pick(d.cov), 0);
      const ood = (count: number, predicted: number) => ({
        count,
        share: predicted === 0 ? null : count / predicted,
      });
      const oodCount = days.reduce((s, [, d]) => s + d.ood, 0);
      const sources = (volunteered: readonly Row[], asked: readonly Row[]) => {
        const askedCorrect = asked.filter((r) => r.truth === r.verdict).length;
        return {
          volunteered: volunteered.length,
          asked: asked.length,
          askedCorrect,
          askedAccuracy: asked.length === 0 ? null : askedCorrect / asked.length,
        };
      };
      const allAsked = days.flatMap(([, d]) => d.asked);
      return {
        model: g.model,
        version: g.version,
        ...classification(all, classes),
        labelSources: sources(all, allAsked),
        outOfDistribution: ood(
          oodCount,
          all.length + allAsked.length + total((c) => c.predictionsWithoutLabel),
        ),
        coverage: {
          predictionsWithoutLabel: total((c) => c.predictionsWithoutLabel),
          duplicatePredictions: total((c) => c.duplicatePredictions),
          duplicateLabels: total((c) => c.duplicateLabels),
          supersededLabels: total((c) => c.supersededLabels),
          invalidLabels: total((c) => c.invalidLabels),
        },
        days: days.map(([day, d]) => ({
          day,
          ...classification(d.rows, classes),
          labelSources: sources(d.rows, d.asked),
          outOfDistribution: ood(d.ood, d.rows.length + d.asked.length + d.cov.predictionsWithoutLabel),
          coverage: d.cov,
        })),
      };
    });
  return {
    schemaVersion: 1,
    coverage: {
      predictionRecords,
      labelRecords,
      predictionsWithoutLabel,
      labelsWithoutPrediction,
      duplicatePredictions: dupPredictions,
      duplicateLabels: dupLabels,
      supersededLabels: superseded,
      invalidLabels,
      malformedLines: Object.values(malformed).reduce((a, b) => a + b, 0),
      malformedByReason: malformed,
    },
    models,
  };
}

/** Metrics of a list of scored uploads, from their definitions. Coverage fields are left at zero. */
export function classification(rows: readonly Row[], labels: readonly string[]): ClassificationMetrics {
  const n = rows.length;
  const k = labels.length;
  const at = (label: string) => labels.indexOf(label);
  const cm: number[][] = Array.from({ length: k }, () => Array.from({ length: k }, () => 0));
  for (const r of rows) {
    const row = cm[at(r.truth)] as number[];
    row[at(r.verdict)] = (row[at(r.verdict)] as number) + 1;
  }
  const correct = rows.filter((r) => r.truth === r.verdict).length;
  const classes = labels.map((label, i) => {
    const tp = rows.filter((r) => r.truth === label && r.verdict === label).length;
    const fp = rows.filter((r) => r.truth !== label && r.verdict === label).length;
    const fn = rows.filter((r) => r.truth === label && r.verdict !== label).length;
    const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
    const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { label, precision, recall, f1, support: (cm[i] as number[]).reduce((a, b) => a + b, 0) };
  });
  const present = classes.filter((c) => rows.some((r) => r.truth === c.label || r.verdict === c.label));
  const avg = (
    pick: (c: (typeof classes)[number]) => number,
    weights: (c: (typeof classes)[number]) => number,
    of: typeof classes,
  ) => {
    const total = of.reduce((s, c) => s + weights(c), 0);
    return total === 0 ? 0 : of.reduce((s, c) => s + pick(c) * weights(c), 0) / total;
  };
  const macro = {
    precision: avg(
      (c) => c.precision,
      () => 1,
      present,
    ),
    recall: avg(
      (c) => c.recall,
      () => 1,
      present,
    ),
    f1: avg(
      (c) => c.f1,
      () => 1,
      present,
    ),
  };
  const weighted = {
    precision: avg(
      (c) => c.precision,
      (c) => c.support,
      classes,
    ),
    recall: avg(
      (c) => c.recall,
      (c) => c.support,
      classes,
    ),
    f1: avg(
      (c) => c.f1,
      (c) => c.support,
      classes,
    ),
  };
  // scikit-learn's cohen_kappa_score: 1 - Σ w·observed / Σ w·expected, w = 1 off the diagonal.
  let observedOff = 0;
  let expectedOff = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      if (i === j) continue;
      const rowSum = (cm[i] as number[]).reduce((a, b) => a + b, 0);
      const colSum = cm.reduce((s, row) => s + (row[j] as number), 0);
      observedOff += (cm[i] as number[])[j] as number;
      expectedOff += (rowSum * colSum) / n;
    }
  }
  const kappa = n === 0 || expectedOff === 0 ? null : 1 - observedOff / expectedOff;
  // torchmetrics: bucketize(conf, linspace(0, 1, 16), right=True) - 1, then Σ |acc_b - conf_b| · prop_b.
  const boundaries = Array.from({ length: 16 }, (_, i) => i / 15);
  const slotOf = (c: number) => boundaries.filter((b) => b <= c).length - 1;
  const bins = boundaries.map((lower, slot) => {
    const inBin = rows.filter((r) => slotOf(r.confidence) === slot);
    const binCorrect = inBin.filter((r) => r.truth === r.verdict).length;
    return {
      lower,
      upper: Math.min((slot + 1) / 15, 1),
      count: inBin.length,
      correct: binCorrect,
      accuracy: inBin.length === 0 ? null : binCorrect / inBin.length,
      confidence: inBin.length === 0 ? null : inBin.reduce((s, r) => s + r.confidence, 0) / inBin.length,
    };
  });
  const ece =
    n === 0
      ? null
      : bins.reduce(
          (s, b) =>
            s +
            (b.count === 0 ? 0 : Math.abs((b.accuracy as number) - (b.confidence as number)) * (b.count / n)),
          0,
        );
  const withDevice = rows.filter((r) => r.device !== undefined);
  const share = (pred: (r: Row) => boolean) =>
    withDevice.length === 0 ? null : withDevice.filter(pred).length / withDevice.length;
  return {
    n,
    correct,
    accuracy: n === 0 ? null : correct / n,
    classes,
    macro,
    weighted,
    confusion: { labels: [...labels], matrix: cm },
    kappa,
    ece,
    calibration: { bins },
    device: {
      n: withDevice.length,
      agreement: share((r) => r.device === r.verdict),
      accuracy: share((r) => r.device === r.truth),
      serverAccuracy: share((r) => r.verdict === r.truth),
    },
    coverage: {
      predictionsWithoutLabel: 0,
      duplicatePredictions: 0,
      duplicateLabels: 0,
      supersededLabels: 0,
      invalidLabels: 0,
    },
  };
}
