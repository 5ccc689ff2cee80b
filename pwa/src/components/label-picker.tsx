import type { JSX } from 'preact';
import type { LabelRecordLocal } from '../store/item-record.ts';

export interface LabelPickerProps {
  readonly labels: readonly string[];
  /** The verdict shown: the one-tap "yes". */
  readonly suggested: string;
  readonly chosen: LabelRecordLocal | undefined;
  /** Until the item is stored, a tap could not be kept. */
  readonly disabled: boolean;
  readonly online: boolean;
  readonly onChoose: (label: string) => void;
}

/** One tap to confirm the verdict or to give the right label; says whether the label has been sent. */
export function LabelPicker(props: LabelPickerProps): JSX.Element {
  const { labels, suggested, chosen, disabled, onChoose } = props;
  return (
    <section class="labeller" aria-labelledby="labeller-heading" data-testid="labeller">
      <h3 id="labeller-heading" class="labeller__heading">
        Is that right?
      </h3>
      <button
        type="button"
        class="button button--primary labeller__confirm"
        data-testid="label-confirm"
        disabled={disabled}
        aria-pressed={chosen?.label === suggested}
        onClick={() => onChoose(suggested)}
      >
        Yes, it's {suggested}
      </button>
      <fieldset class="labeller__options">
        <legend class="labeller__or">No, it's:</legend>
        {labels.map((label) => (
          <button
            type="button"
            key={label}
            class="button labeller__option"
            data-testid="label-option"
            data-label={label}
            disabled={disabled}
            aria-pressed={chosen?.label === label}
            onClick={() => onChoose(label)}
          >
            {label}
          </button>
        ))}
      </fieldset>
      <p
        class="labeller__status"
        data-testid="label-status"
        data-status={chosen?.status ?? 'none'}
        role="status"
      >
        {statusText(props)}
      </p>
    </section>
  );
}

function statusText({ chosen, online }: LabelPickerProps): string {
  if (!chosen) return '';
  switch (chosen.status) {
    case 'sent':
      return `Thank you: “${chosen.label}” was sent.`;
    case 'rejected':
      return `“${chosen.label}” could not be sent: ${chosen.message ?? chosen.code ?? 'refused'}.`;
    case 'pending':
      return online
        ? `Saved “${chosen.label}”. Sending…`
        : `Saved “${chosen.label}” on this phone. It will be sent when you're back online.`;
  }
}
