import type { JSX } from 'preact';
import type { DownloadProgress } from '../inference/device-classifier.ts';

const MB = 1_000_000;
const formatMB = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;

/** The first download of onnxruntime and the model: bytes and percent, while the verdict waits on it. */
export function ModelDownloadProgress({ progress }: { readonly progress: DownloadProgress }): JSX.Element {
  const fraction = progress.total > 0 ? Math.min(1, progress.loaded / progress.total) : undefined;
  return (
    <div class="status download" data-testid="model-download" data-loaded={progress.loaded}>
      <p class="status__text">
        Downloading the on-device model (first time only): {formatMB(progress.loaded)}
        {progress.total > 0 ? ` of ${formatMB(progress.total)}` : ''}. The server is checking your photo
        meanwhile.
      </p>
      <div class="status__progress">
        <progress max={1} value={fraction} aria-label="Model download progress" />
        {fraction !== undefined && <span aria-hidden="true">{Math.round(fraction * 100)}%</span>}
      </div>
    </div>
  );
}

/** On Save-Data or a slow connection: the plain choice to download the model for offline use. */
export function ModelDownloadOffer({
  bytes,
  onAccept,
}: {
  readonly bytes: number;
  readonly onAccept: () => void;
}): JSX.Element {
  return (
    <div class="notice download-offer" data-testid="model-download-offer">
      <p>
        Your connection looks slow or metered, so photos are read by the server only. Reading them on this
        phone (offline too) needs a one-time download.
      </p>
      <button type="button" class="button" onClick={onAccept}>
        Download for offline use, up to {formatMB(bytes)}
      </button>
    </div>
  );
}
