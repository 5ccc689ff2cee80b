import type { JSX, TargetedEvent } from 'preact';

export interface PhotoPickerProps {
  readonly label: string;
  /** The big first-screen control, or the smaller "classify another" one. */
  readonly prominent: boolean;
  readonly onFile: (file: File) => void;
}

/**
 * The file input, visually replaced by its label so the whole label is the tap target. The input
 * stays in the accessibility tree and keyboard order; its focus ring is drawn on the label.
 */
export function PhotoPicker({ label, prominent, onFile }: PhotoPickerProps): JSX.Element {
  const onChange = (event: TargetedEvent<HTMLInputElement>) => {
    const input = event.currentTarget;
    const file = input.files?.[0];
    // Cleared so that choosing the same file again still fires a change.
    input.value = '';
    if (file) onFile(file);
  };
  return (
    <div class={prominent ? 'picker picker--prominent' : 'picker'}>
      <input
        id="photo-input"
        class="picker__input"
        type="file"
        accept="image/*"
        capture="environment"
        onChange={onChange}
      />
      <label for="photo-input" class="picker__label">
        <svg class="picker__icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
          <path d="M9 3 7.2 5H4a2 2 0 0 0-2 2v12a2 2 0 0 0 2 2h16a2 2 0 0 0 2-2V7a2 2 0 0 0-2-2h-3.2L15 3H9Zm3 5a5 5 0 1 1 0 10 5 5 0 0 1 0-10Zm0 2a3 3 0 1 0 0 6 3 3 0 0 0 0-6Z" />
        </svg>
        {label}
      </label>
    </div>
  );
}
