import { z } from 'zod';
import type { VersionDay } from '../contracts/model-history.ts';

/** Just the fields read here, so that a report with other fields changed still gives its days. */
const reportDaysSchema = z.object({
  models: z.array(
    z.looseObject({
      model: z.string(),
      version: z.string(),
      days: z.array(
        z.looseObject({
          day: z.iso.date(),
          n: z.number().int().nonnegative(),
          correct: z.number().int().nonnegative(),
          accuracy: z.number().min(0).max(1).nullable(),
        }),
      ),
    }),
  ),
});

/**
 * `model`'s accuracy per version and day from the accuracy job's metrics.json (contracts/metrics.ts:
 * per model version, per UTC day of the prediction, on volunteered labels), oldest day first, then by
 * version. Empty when the metrics do not have that shape.
 */
export function versionDays(metrics: unknown, model: string): VersionDay[] {
  const parsed = reportDaysSchema.safeParse(metrics);
  if (!parsed.success) return [];
  return parsed.data.models
    .filter((m) => m.model === model)
    .flatMap((m) =>
      m.days.map(({ day, n, correct, accuracy }) => ({ version: m.version, day, n, correct, accuracy })),
    )
    .sort((a, b) => a.day.localeCompare(b.day) || Number(a.version) - Number(b.version));
}
