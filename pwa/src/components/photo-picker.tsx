import type { JSX, TargetedEvent } from 'preact';

export interface PhotoPickerProps {
  /** The big first-screen controls, or the smaller "another one" ones. */
  readonly prominent: boolean;
  readonly onFile: (file: File) => void;
}

/**
 * Two file inputs, each visually replaced by its label so the whole label is the tap target: one opens
 * the camera (`capture="environment"`), the other the file picker. The inputs stay in the accessibility
 * tree and the keyboard order; their focus ring is drawn on the label.
 */
export function PhotoPicker({ prominent, onFile }: PhotoPickerProps): JSX.Element {
  const onChange = (event: TargetedEvent<HTMLInputElement>) => {
    const input = event.currentTarget;
    const file = input.files?.[0];
    // Cleared so that choosing the same file again still fires a change.
    input.value = '';
    if (file) onFile(file);
  };
  return (
    <div class={prominent ? 'picker picker--prominent' : 'picker'}>
      <div class="picker__choice">
        <input
          id="camera-input"
          class="picker__input"
          type="file"
          accept="image/*"
          capture="environment"
          onChange={onChange}
        />
        <label for="camera-input" class="picker__label picker__label--primary">
          <svg class="picker__icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
            <path d="M9 3 7.2 5H4a2 2 0 0 0-2 2v12a2 2 0 0 0 2 2h16a2 2 0 0 0 2-2V7a2 2 0 0 0-2-2h-3.2L15 3H9Zm3 5a5 5 0 1 1 0 10 5 5 0 0 1 0-10Zm0 2a3 3 0 1 0 0 6 3 3 0 0 0 0-6Z" />
          </svg>
          Take a photo
        </label>
      </div>
      <div class="picker__choice">
        <input id="file-input" class="picker__input" type="file" accept="image/*" onChange={onChange} />
        <label for="file-input" class="picker__label">
          <svg class="picker__icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
            <path d="M4 4h16a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2Zm0 12.5V18h16v-3.5l-4-4-5 5-3-3-4 4ZM8 7.5a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3Z" />
          </svg>
          Choose an image
        </label>
      </div>
      <p class="picker__hint">…or drop an image here, or paste one.</p>
    </div>
  );
}
