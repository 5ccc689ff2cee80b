import type { JSX } from 'preact';
import type { UserMessage } from '../describe-error.ts';

/** A failure, said plainly with what to do; the technical detail is one tap away. */
export function ErrorNotice({ message }: { readonly message: UserMessage }): JSX.Element {
  return (
    <div class="error" data-testid="error">
      <p class="error__text">{message.text}</p>
      <details class="error__details">
        <summary>Details</summary>
        <code>{message.detail}</code>
      </details>
    </div>
  );
}
