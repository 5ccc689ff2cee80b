import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { formatPercent } from '../format-percent.ts';
import type { ItemRecord } from '../store/item-record.ts';
import { listItems, onItemChanged } from '../store/item-store.ts';
import { requestSync } from '../sync/sync-scheduler.ts';

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** Past images with both verdicts and the label given, from IndexedDB (offline too), and what still waits. */
export function HistoryView({ online }: { readonly online: boolean }): JSX.Element {
  const [items, setItems] = useState<ItemRecord[] | null>(null);
  const [syncing, setSyncing] = useState(false);
  const thumbnails = useRef(new Map<string, string>());

  useEffect(() => {
    let cancelled = false;
    const load = () =>
      listItems().then(
        (list) => !cancelled && setItems(list),
        (error: unknown) => console.error('history: could not read IndexedDB', error),
      );
    void load();
    const unsubscribe = onItemChanged(() => void load());
    const urls = thumbnails.current;
    return () => {
      cancelled = true;
      unsubscribe();
      for (const url of urls.values()) URL.revokeObjectURL(url);
      urls.clear();
    };
  }, []);

  const thumbnailUrl = (item: ItemRecord) => {
    let url = thumbnails.current.get(item.id);
    if (!url) {
      url = URL.createObjectURL(item.thumbnail);
      thumbnails.current.set(item.id, url);
    }
    return url;
  };

  const waiting = items?.filter((i) => i.pending === 1).length ?? 0;
  const syncNow = async () => {
    setSyncing(true);
    await requestSync();
    setSyncing(false);
  };

  return (
    <section class="view" aria-labelledby="history-heading">
      <h2 id="history-heading" class="view__heading" tabIndex={-1}>
        History
      </h2>
      {items === null && <p>Loading…</p>}
      {items?.length === 0 && (
        <p class="empty" data-testid="history-empty">
          Nothing yet. The images you classify appear here, with both verdicts and the labels you gave.
        </p>
      )}
      {items && items.length > 0 && (
        <div class="history__summary" data-testid="history-summary" data-waiting={waiting}>
          <p role="status">
            {waiting === 0
              ? `${items.length} ${items.length === 1 ? 'image' : 'images'}, all sent.`
              : `${waiting} of ${items.length} waiting to be sent${online ? '' : ' when you are back online'}.`}
          </p>
          {waiting > 0 && (
            <button type="button" class="button" disabled={!online || syncing} onClick={() => void syncNow()}>
              {syncing ? 'Sending…' : 'Send now'}
            </button>
          )}
        </div>
      )}
      {items && items.length > 0 && (
        <ol class="history">
          {items.map((item) => (
            <HistoryEntry key={item.id} item={item} thumbnail={thumbnailUrl(item)} />
          ))}
        </ol>
      )}
    </section>
  );
}

function HistoryEntry({ item, thumbnail }: { item: ItemRecord; thumbnail: string }): JSX.Element {
  const uploadId = item.upload.status === 'uploaded' ? item.upload.uploadId : undefined;
  return (
    <li
      class="history__item"
      data-testid="history-item"
      data-item-id={item.id}
      data-label-id={item.label?.labelId}
      data-label-status={item.label?.status ?? 'none'}
      data-upload-id={uploadId}
      data-upload-status={item.upload.status}
      data-sync={item.pending ? 'pending' : 'done'}
    >
      <img class="history__thumb" src={thumbnail} alt="" width={64} height={64} />
      <div class="history__body">
        <p class="history__verdicts">
          {item.device ? (
            <span>
              Device: <strong data-testid="history-device-label">{item.device.label}</strong> (
              {formatPercent(item.device.confidence)})
            </span>
          ) : (
            <span>Device: —</span>
          )}
          {' · '}
          {item.server ? (
            <span>
              Server: <strong data-testid="history-server-label">{item.server.label}</strong> (
              {formatPercent(item.server.confidence)})
            </span>
          ) : (
            <span>Server: {item.serverError ? 'could not read it' : '—'}</span>
          )}
        </p>
        <p class="history__label">
          {item.label ? (
            <>
              Your label: <strong data-testid="history-label">{item.label.label}</strong> ·{' '}
              <span class={`chip chip--${item.label.status}`}>{labelStatusText(item.label.status)}</span>
            </>
          ) : (
            'No label given'
          )}
        </p>
        <p class="history__meta">
          <time dateTime={item.createdAt}>{dateFormat.format(new Date(item.createdAt))}</time> · {item.model}{' '}
          · <span class={`chip chip--upload-${item.upload.status}`}>{uploadStatusText(item)}</span>
        </p>
      </div>
    </li>
  );
}

function labelStatusText(status: 'pending' | 'sent' | 'rejected'): string {
  return status === 'sent' ? 'sent' : status === 'pending' ? 'waiting to send' : 'not accepted';
}

function uploadStatusText(item: ItemRecord): string {
  switch (item.upload.status) {
    case 'waiting':
    case 'ticketed':
      return 'image waiting to upload';
    case 'uploaded':
      return 'image uploaded';
    case 'failed':
      return 'upload refused';
  }
}
