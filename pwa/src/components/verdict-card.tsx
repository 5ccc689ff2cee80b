import type { JSX } from 'preact';
import type { ScoredLabel } from '../../../contracts/prediction.ts';
import type { DeviceState, ServerState } from '../classify-session.ts';
import { formatPercent } from '../format-percent.ts';

export interface VerdictCardProps {
  readonly device: DeviceState;
  readonly server: ServerState;
  /** Completes "This doesn't look like …" when the verdict is out of distribution (from the manifest). */
  readonly subject?: string | undefined;
}

/** How the shown verdict relates to the other side's. */
export type Agreement = 'pending' | 'agree' | 'disagree' | 'server-only';

interface Shown {
  readonly label: string;
  readonly confidence: number;
  readonly topK: readonly ScoredLabel[];
  readonly outOfDistribution: boolean;
  readonly source: 'device' | 'server';
  readonly agreement: Agreement;
}

/** Which verdict to show: the server's once it is there (it replaces or confirms the device's). */
export function shownVerdict(device: DeviceState, server: ServerState): Shown | null {
  const onDevice = device.status === 'done' ? device.verdict : null;
  if (server.status === 'done') {
    const { prediction } = server;
    const agreement: Agreement = !onDevice
      ? 'server-only'
      : onDevice.label === prediction.label
        ? 'agree'
        : 'disagree';
    return {
      ...prediction,
      outOfDistribution: prediction.outOfDistribution === true,
      source: 'server',
      agreement,
    };
  }
  return onDevice ? { ...onDevice, source: 'device', agreement: 'pending' } : null;
}

/**
 * The answer: the label big, how sure, the runners-up, and where it came from: this device (at once),
 * confirmed by the server, or replaced by the server's when the two disagree (and then it says so).
 */
export function VerdictCard({ device, server, subject }: VerdictCardProps): JSX.Element | null {
  const shown = shownVerdict(device, server);
  if (!shown) return null;
  const onDevice = device.status === 'done' ? device : null;
  const onServer = server.status === 'done' ? server : null;
  const top = shown.topK.slice(0, 3);
  return (
    <section
      class={`verdict verdict--${shown.agreement}`}
      data-testid="verdict"
      data-source={shown.source}
      data-agreement={shown.agreement}
      data-channel={onServer?.via}
      data-device-elapsed-ms={onDevice ? Math.round(onDevice.elapsedMs) : undefined}
      data-elapsed-ms={onServer ? Math.round(onServer.elapsedMs) : undefined}
      aria-labelledby="verdict-heading"
    >
      {shown.outOfDistribution ? (
        // Not what the model knows: no big confident label; its best guess stays visible, small.
        <>
          <h2 id="verdict-heading" class="verdict__heading" data-testid="verdict-ood">
            This doesn't look like {subject ?? 'anything this model knows'}
          </h2>
          <p class="verdict__confidence" data-testid="verdict-confidence">
            Best guess <span data-testid="verdict-label">{shown.label}</span> (
            {formatPercent(shown.confidence)})
          </p>
        </>
      ) : (
        <>
          <h2 id="verdict-heading" class="verdict__heading">
            It looks like
          </h2>
          <p
            class={shown.label.length > 3 ? 'verdict__label verdict__label--long' : 'verdict__label'}
            data-testid="verdict-label"
          >
            {shown.label}
          </p>
          <p class="verdict__confidence" data-testid="verdict-confidence">
            {formatPercent(shown.confidence)} sure
          </p>
        </>
      )}
      <SourceNote shown={shown} device={device} server={server} />
      <h3 class="verdict__subheading">Top {top.length}</h3>
      <ol class="topk">
        {top.map((entry) => (
          <li class="topk__item" data-testid="verdict-topk" key={entry.label}>
            <span class="topk__label">{entry.label}</span>
            <span class="topk__bar" aria-hidden="true">
              <span class="topk__fill" style={{ width: `${Math.max(entry.confidence * 100, 0.5)}%` }} />
            </span>
            <span class="topk__value">{formatPercent(entry.confidence)}</span>
          </li>
        ))}
      </ol>
      <dl class="verdict__sides">
        {onDevice && (
          <div class="verdict__side">
            <dt>On this device</dt>
            <dd>
              <span data-testid="device-verdict-label">{onDevice.verdict.label}</span> (
              {formatPercent(onDevice.verdict.confidence)}) · {onDevice.verdict.model} v
              {onDevice.verdict.modelVersion} · {formatSeconds(onDevice.elapsedMs)}
            </dd>
          </div>
        )}
        {onServer && (
          <div class="verdict__side">
            <dt>Server</dt>
            <dd>
              <span data-testid="server-verdict-label">{onServer.prediction.label}</span> (
              {formatPercent(onServer.prediction.confidence)}) · {onServer.prediction.model} v
              {onServer.prediction.modelVersion}
              {onServer.via === 'stored' ? '' : ` · ${formatSeconds(onServer.elapsedMs)}`}
            </dd>
          </div>
        )}
      </dl>
    </section>
  );
}

function SourceNote({ shown, device, server }: { shown: Shown; device: DeviceState; server: ServerState }) {
  if (shown.agreement === 'agree') {
    return (
      <p class="verdict__source" data-testid="verdict-source">
        <span class="badge badge--ok">Confirmed by the server</span>
      </p>
    );
  }
  if (shown.agreement === 'disagree' && device.status === 'done') {
    return (
      <div class="verdict__source" data-testid="verdict-source" role="note">
        <span class="badge badge--warn">The server disagrees</span>
        <p class="verdict__disagreement" data-testid="disagreement">
          This phone read it as <strong>{device.verdict.label}</strong> (
          {formatPercent(device.verdict.confidence)}
          ); the server reads <strong>{shown.label}</strong>. The server's verdict is shown.
        </p>
      </div>
    );
  }
  if (shown.agreement === 'server-only') {
    return (
      <p class="verdict__source" data-testid="verdict-source">
        <span class="badge">From the server</span>
      </p>
    );
  }
  const waiting =
    server.status === 'queued'
      ? 'the server will check it when you are online'
      : server.status === 'failed'
        ? 'the server could not check it'
        : 'checking with the server…';
  return (
    <p class="verdict__source" data-testid="verdict-source">
      <span class="badge badge--device">On this device</span> <span class="verdict__waiting">{waiting}</span>
    </p>
  );
}

function formatSeconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
