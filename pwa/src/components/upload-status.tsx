import type { JSX } from 'preact';
import type { ServerState } from '../classify-session.ts';

/** Where the upload and the server's verdict stand; the upload shows a progress bar. */
export function UploadStatus({
  server,
  online,
}: {
  readonly server: ServerState;
  readonly online: boolean;
}): JSX.Element | null {
  const text = textFor(server, online);
  if (!text) return null;
  const busy = server.status === 'uploading' || server.status === 'waiting' || server.status === 'retrying';
  return (
    <div class={`status status--${server.status}`} data-testid="upload-status" data-status={server.status}>
      <p data-testid="status" class="status__text">
        {busy && <span class="spinner" aria-hidden="true" />}
        {text}
      </p>
      {server.status === 'uploading' && (
        <div class="status__progress">
          <progress max={1} value={server.fraction} aria-label="Upload progress" />
          <span aria-hidden="true">{Math.round(server.fraction * 100)}%</span>
        </div>
      )}
      {server.status === 'failed' && (
        <details class="error__details">
          <summary>Details</summary>
          <code>{server.message.detail}</code>
        </details>
      )}
    </div>
  );
}

function textFor(server: ServerState, online: boolean): string | null {
  switch (server.status) {
    case 'preparing':
    case 'done':
      return null;
    case 'queued':
      return online
        ? 'The upload was interrupted. The photo is saved on this phone and the upload will be retried by itself.'
        : "You're offline. The photo is saved on this phone and will be uploaded when you're back online.";
    case 'uploading':
      return 'Uploading your photo…';
    case 'waiting':
      return "Uploaded. Waiting for the server's verdict…";
    case 'retrying':
      return 'Still working: the server hit a problem and keeps trying by itself. The verdict, or a final answer, will follow here.';
    case 'failed':
      return server.message.text;
  }
}
