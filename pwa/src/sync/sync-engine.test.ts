import { describe, expect, it } from 'vitest';
import type { LabelOutcome, LabelSubmission } from '../../../contracts/labels.ts';
import type { CreateUploadRequest } from '../../../contracts/uploads.ts';
import { ApiError, NetworkError, UploadRejectedError } from '../errors.ts';
import type { ItemRecord } from '../store/item-record.ts';
import { withLabel, withPendingFlag } from './sync-decisions.ts';
import { runSync, type SyncStore, type SyncTransport } from './sync-engine.ts';

const NOW = new Date('2026-11-26T12:00:00.000Z');

/** IndexedDB's role, in memory: items by id, each update atomic. */
function memoryStore(items: ItemRecord[]): SyncStore & { items: Map<string, ItemRecord> } {
  const map = new Map(items.map((i) => [i.id, withPendingFlag(i)]));
  return {
    items: map,
    getItem: async (id) => map.get(id),
    pendingItems: async () => [...map.values()].filter((i) => i.pending === 1),
    itemsSince: async (since) => [...map.values()].filter((i) => i.createdAt >= since),
    updateItem: async (id, change) => {
      const current = map.get(id);
      const next = current && change(current);
      if (next) map.set(id, withPendingFlag(next));
      return map.get(id);
    },
  };
}

/** A gateway and S3 that record what they were sent; `fail` makes a call throw once. */
function fakeNetwork() {
  let uploads = 0;
  const calls = {
    created: [] as CreateUploadRequest[],
    puts: [] as string[],
    labels: [] as LabelSubmission[],
  };
  const failures: Partial<Record<'create' | 'put' | 'labels', Error[]>> = {};
  const stored = new Set<string>();
  const transport: SyncTransport = {
    async createUpload(request) {
      const error = failures.create?.shift();
      if (error) throw error;
      calls.created.push(request);
      uploads++;
      return {
        uploadId: `00000000-0000-4000-8000-${String(uploads).padStart(12, '0')}`,
        url: `http://s3.test/uploads/${uploads}`,
        headers: { 'content-type': request.contentType },
        token: `token-${uploads}`.padEnd(40, 'x'),
        model: request.model ?? 'digits',
        expiresAt: new Date(NOW.getTime() + 300_000).toISOString(),
      };
    },
    async putObject(ticket, _body, _signal, onProgress) {
      const error = failures.put?.shift();
      if (error) throw error;
      onProgress(1);
      calls.puts.push(ticket.uploadId);
    },
    async submitLabels(labels): Promise<LabelOutcome[]> {
      const error = failures.labels?.shift();
      if (error) throw error;
      calls.labels.push(...labels);
      return labels.map((l) => {
        const status = stored.has(l.labelId) ? 'duplicate' : 'stored';
        stored.add(l.labelId);
        return { labelId: l.labelId, status };
      });
    },
    async fetchPrediction() {
      return { status: 'pending', final: false };
    },
  };
  return { transport, calls, failures };
}

function labelledOffline(n: number): ItemRecord {
  const item: ItemRecord = {
    id: `item-${n}`,
    createdAt: new Date(NOW.getTime() + n).toISOString(),
    model: 'digits',
    image: new Blob([new Uint8Array(100)], { type: 'image/png' }),
    imageType: 'image/png',
    thumbnail: new Blob([]),
    upload: { status: 'waiting', attempts: 0 },
    pending: 1,
  };
  return withLabel(item, String(n), NOW, () => `00000000-0000-4000-9000-${String(n).padStart(12, '0')}`);
}

describe('sync engine', () => {
  it('uploads each image queued offline, then sends its label, and leaves nothing pending', async () => {
    const store = memoryStore([labelledOffline(1), labelledOffline(2), labelledOffline(3)]);
    const { transport, calls } = fakeNetwork();

    const report = await runSync({ store, transport, now: () => NOW });

    expect(report).toMatchObject({ uploaded: 3, labelsSent: 3, remaining: 0, offline: false });
    expect(calls.created.map((c) => c.model)).toEqual(['digits', 'digits', 'digits']);
    expect(calls.labels.map((l) => l.label)).toEqual(['1', '2', '3']);
    for (const item of store.items.values()) {
      expect(item).toMatchObject({ pending: 0, upload: { status: 'uploaded' }, label: { status: 'sent' } });
      expect(item.image).toBeUndefined();
    }
  });

  it('sends every label once when the page and the service worker run at the same time', async () => {
    const store = memoryStore([labelledOffline(1), labelledOffline(2)]);
    const { transport, calls } = fakeNetwork();

    const run = () => runSync({ store, transport, now: () => NOW });
    await Promise.all([run(), run(), run()]);

    expect(calls.created).toHaveLength(2);
    expect(calls.labels.map((l) => l.labelId).sort()).toEqual(
      [...store.items.values()].map((i) => i.label?.labelId).sort(),
    );
  });

  it('stops at the first network failure, keeps the stored URL, and resumes with it next time', async () => {
    const store = memoryStore([labelledOffline(1)]);
    const { transport, calls, failures } = fakeNetwork();
    failures.put = [new NetworkError('connection lost')];

    const first = await runSync({ store, transport, now: () => NOW });
    expect(first).toMatchObject({ offline: true, uploaded: 0, remaining: 1 });
    expect(store.items.get('item-1')?.upload).toMatchObject({ status: 'ticketed', attempts: 0 });

    const second = await runSync({ store, transport, now: () => NOW });
    expect(second).toMatchObject({ offline: false, uploaded: 1, labelsSent: 1, remaining: 0 });
    expect(calls.created).toHaveLength(1);
    expect(calls.puts).toEqual([calls.labels[0]?.uploadId]);
  });

  it('asks for a new URL when S3 refuses the stored one (expired) and uploads in the same run', async () => {
    const store = memoryStore([labelledOffline(1)]);
    const { transport, calls, failures } = fakeNetwork();
    failures.put = [new UploadRejectedError(403)];

    const report = await runSync({ store, transport, now: () => NOW });

    expect(report).toMatchObject({ uploaded: 1, labelsSent: 1, remaining: 0 });
    expect(calls.created).toHaveLength(2);
    // The label names the upload that S3 has, not the abandoned one.
    expect(calls.labels[0]?.uploadId).toBe(calls.puts[0]);
  });

  it('keeps labels pending when the gateway cannot store them now, and sends them on the next run', async () => {
    const store = memoryStore([labelledOffline(1)]);
    const { transport, calls, failures } = fakeNetwork();
    failures.labels = [new ApiError(503, 'storage_unavailable', 'later')];

    const run = () => runSync({ store, transport, now: () => NOW });
    expect(await run()).toMatchObject({ uploaded: 1, labelsSent: 0, remaining: 1 });
    expect(await run()).toMatchObject({ uploaded: 0, labelsSent: 1, remaining: 0 });
    expect(calls.labels).toHaveLength(1);
  });

  it('gives up on an image the gateway refuses, and says so on its label', async () => {
    const store = memoryStore([labelledOffline(1)]);
    const { transport, failures } = fakeNetwork();
    failures.create = [new ApiError(400, 'invalid_upload_request', 'model: unknown')];

    const report = await runSync({ store, transport, now: () => NOW });

    expect(report).toMatchObject({ uploaded: 0, remaining: 0 });
    expect(store.items.get('item-1')).toMatchObject({
      upload: { status: 'failed' },
      label: { status: 'rejected', code: 'upload_refused' },
    });
  });
});
