import type { JSX } from 'preact';

/** The chosen image, as the user will recognise it. */
export function ImagePreview({ src }: { readonly src: string }): JSX.Element {
  return (
    <figure class="preview">
      <img data-testid="preview" src={src} alt="Your choice" decoding="async" />
    </figure>
  );
}
