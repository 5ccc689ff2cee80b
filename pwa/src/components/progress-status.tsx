import type { JSX } from 'preact';
import type { ClassifyProgress } from '../classify-flow.ts';

const STEP_TEXT: Record<ClassifyProgress['step'], string> = {
  checking: 'Checking the image…',
  uploading: 'Uploading your photo…',
  waiting: 'Uploaded. Waiting for the verdict…',
  'server-retrying': 'The classifier hit a problem and is trying again. Please wait…',
};

/** What the app is doing now; the upload shows a progress bar. */
export function ProgressStatus({ progress }: { readonly progress: ClassifyProgress }): JSX.Element {
  return (
    <div class="status">
      <p data-testid="status" class="status__text">
        <span class="spinner" aria-hidden="true" />
        {STEP_TEXT[progress.step]}
      </p>
      {progress.step === 'uploading' && (
        <div class="status__progress">
          <progress max={1} value={progress.fraction} aria-label="Upload progress" />
          <span aria-hidden="true">{Math.round(progress.fraction * 100)}%</span>
        </div>
      )}
    </div>
  );
}
