import type { JSX } from 'preact';
import { PROMPT_TEXT, type PromptReason } from '../label-prompt.ts';

export interface LabelPromptNoteProps {
  readonly reason: PromptReason;
  /** "Not now": no prompt for this upload again. */
  readonly onDismiss: () => void;
  /** "Don't ask me again": the setting, on this device. */
  readonly onTurnOff: () => void;
}

/**
 * The app asking for this upload's label, saying why (it was unsure, or the phone and the server
 * disagreed): the label buttons below answer it. Dismissible, and asking can be turned off.
 */
export function LabelPromptNote({ reason, onDismiss, onTurnOff }: LabelPromptNoteProps): JSX.Element {
  return (
    <aside class="notice label-prompt" data-testid="label-prompt" data-reason={reason} role="note">
      <p class="label-prompt__text">
        <strong>{PROMPT_TEXT[reason]}</strong> Your answer below teaches the model the most on cases like
        this.
      </p>
      <p class="label-prompt__actions">
        <button type="button" class="button" data-testid="label-prompt-dismiss" onClick={onDismiss}>
          Not now
        </button>{' '}
        <button type="button" class="button" data-testid="label-prompt-off" onClick={onTurnOff}>
          Don't ask me again
        </button>
      </p>
    </aside>
  );
}
