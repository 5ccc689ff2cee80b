import type { LabelSubmission } from '../contracts/labels.ts';
import type { ModelList } from '../contracts/models.ts';

/**
 * Why `label` cannot be taken, or undefined when it can: a label must be one of its model's labels —
 * the model of the on-device verdict it carries, or, without one, any model the inference host
 * serves. The accuracy job checks again against the exact model version of the upload's prediction.
 * The message names the allowed labels, so whoever sent it can fix it.
 */
export function labelProblem(label: LabelSubmission, catalogue: ModelList): string | undefined {
  const named = label.device?.model;
  if (named !== undefined) {
    const model = catalogue.models.find((m) => m.name === named);
    if (!model) {
      return `device.model: "${named}" is not a model this server has; models: ${catalogue.models.map((m) => m.name).join(', ')}`;
    }
    if (model.labels.includes(label.label)) return undefined;
    return `label: ${JSON.stringify(label.label)} is not a label of model ${model.name}; allowed: ${model.labels.join(', ')}`;
  }
  if (catalogue.models.some((m) => m.labels.includes(label.label))) return undefined;
  const allowed = catalogue.models.map((m) => `${m.name}: ${m.labels.join(', ')}`).join('; ');
  return `label: ${JSON.stringify(label.label)} is not a label of any model; allowed: ${allowed}`;
}
