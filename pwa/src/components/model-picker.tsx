import type { JSX } from 'preact';
import type { ModelChoice } from '../models/model-catalogue.ts';

export interface ModelPickerProps {
  readonly choices: readonly ModelChoice[];
  readonly selected: ModelChoice | undefined;
  readonly onSelect: (name: string) => void;
}

/** The model to classify with; says whether it runs on this phone (and offline) or only on the server. */
export function ModelPicker({ choices, selected, onSelect }: ModelPickerProps): JSX.Element {
  return (
    <div class="model-picker">
      <label for="model-select" class="model-picker__label">
        Model
      </label>
      <select
        id="model-select"
        class="model-picker__select"
        value={selected?.name ?? ''}
        disabled={choices.length === 0}
        aria-describedby="model-hint"
        onChange={(event) => onSelect(event.currentTarget.value)}
      >
        {choices.length === 0 && <option value="">Loading models…</option>}
        {choices.map((choice) => (
          <option key={choice.name} value={choice.name}>
            {choice.displayName}
          </option>
        ))}
      </select>
      <p
        id="model-hint"
        class="model-picker__hint"
        data-testid="model-hint"
        data-device-version={selected?.device?.version}
      >
        {selected === undefined
          ? ''
          : selected.device
            ? `Version ${selected.device.version} runs on this phone, offline too; the server double-checks.`
            : 'Runs on the server only: needs a connection.'}
      </p>
    </div>
  );
}
