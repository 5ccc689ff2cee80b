import { describe, expect, it } from 'vitest';
import type { ModelSummary } from '../../../contracts/models.ts';
import type { BundledModel } from './bundled-models.ts';
import { mergeCatalogue, pickModel } from './model-catalogue.ts';

const bundled = (name: string, labels: string[]): BundledModel => ({
  name,
  version: '1',
  displayName: `${name} (bundled)`,
  labels,
  preprocessing: 'mnist-digit',
  input: { name: 'input', dims: [1, 28, 28] },
  output: { name: 'probabilities' },
  sha256: '0'.repeat(64),
  modelUrl: `/models/${name}/1/model.onnx`,
});

const hosted = (name: string, version: string, isDefault = false): ModelSummary => ({
  name,
  displayName: `${name} (host)`,
  version,
  labels: ['a', 'b'],
  isDefault,
});

describe('model catalogue', () => {
  it('lists bundled models alone when the host cannot be asked (offline)', () => {
    const choices = mergeCatalogue([bundled('digits', ['0', '1']), bundled('fashion', ['a', 'b'])], null);
    expect(choices.map((c) => [c.name, c.device?.version, c.serverVersion])).toEqual([
      ['digits', '1', null],
      ['fashion', '1', null],
    ]);
  });

  it('adds the models only the host has, marked as server-only, and keeps the bundled labels', () => {
    const choices = mergeCatalogue(
      [bundled('digits', ['0', '1'])],
      [hosted('digits', '2', true), hosted('letters', '1')],
    );
    expect(choices).toMatchObject([
      { name: 'digits', labels: ['0', '1'], serverVersion: '2', isDefault: true, device: { version: '1' } },
      { name: 'letters', labels: ['a', 'b'], serverVersion: '1', device: null },
    ]);
  });

  it('preselects the remembered model, else the host default, else digits, else the first', () => {
    const choices = mergeCatalogue([bundled('fashion', ['a', 'b']), bundled('digits', ['0', '1'])], null);
    expect(pickModel(choices, 'fashion')?.name).toBe('fashion');
    expect(pickModel(choices, 'gone')?.name).toBe('digits');
    const withDefault = mergeCatalogue([], [hosted('x', '1'), hosted('y', '1', true)]);
    expect(pickModel(withDefault, null)?.name).toBe('y');
    expect(pickModel([], null)).toBeUndefined();
  });
});
