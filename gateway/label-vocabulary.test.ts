import { describe, expect, it } from 'vitest';
import type { LabelSubmission } from '../contracts/labels.ts';
import type { ModelList } from '../contracts/models.ts';
import { labelProblem } from './label-vocabulary.ts';

const CATALOGUE: ModelList = {
  models: [
    { name: 'digits', displayName: 'Digits', version: '1', labels: ['0', '1', '2'], isDefault: true },
    { name: 'fashion', displayName: 'Clothes', version: '1', labels: ['Shirt', 'Bag'], isDefault: false },
  ],
};

const label = (text: string, model?: string): LabelSubmission => ({
  labelId: '11111111-0000-4000-8000-000000000001',
  uploadId: '00000000-0000-4000-8000-000000000001',
  token: 't',
  label: text,
  labeledAt: '2026-03-01T10:00:00.000Z',
  ...(model ? { device: { model, modelVersion: '1', label: text, confidence: 0.5 } } : {}),
});

describe('which labels are taken', () => {
  it("takes a label of the on-device verdict's model", () => {
    expect(labelProblem(label('2', 'digits'), CATALOGUE)).toBeUndefined();
    expect(labelProblem(label('Bag', 'fashion'), CATALOGUE)).toBeUndefined();
  });

  it("refuses another model's label, naming the allowed ones", () => {
    expect(labelProblem(label('Bag', 'digits'), CATALOGUE)).toBe(
      'label: "Bag" is not a label of model digits; allowed: 0, 1, 2',
    );
  });

  it('without a verdict, takes any served model label and names them all otherwise', () => {
    expect(labelProblem(label('Shirt'), CATALOGUE)).toBeUndefined();
    expect(labelProblem(label('<script>'), CATALOGUE)).toBe(
      'label: "<script>" is not a label of any model; allowed: digits: 0, 1, 2; fashion: Shirt, Bag',
    );
  });

  it('refuses a verdict of a model the server does not have', () => {
    expect(labelProblem(label('1', 'cats'), CATALOGUE)).toBe(
      'device.model: "cats" is not a model this server has; models: digits, fashion',
    );
  });
});
