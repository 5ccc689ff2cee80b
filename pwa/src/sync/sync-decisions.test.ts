import { describe, expect, it } from 'vitest';
import { ApiError, NetworkError, UploadRejectedError } from '../errors.ts';
import type { ItemRecord } from '../store/item-record.ts';
import {
  classifyFailure,
  labelSubmissionOf,
  MAX_UPLOAD_ATTEMPTS,
  MIN_TICKET_LIFETIME_MS,
  needsSync,
  nextUploadStep,
  TICKET_SAFETY_MS,
  withLabel,
  withLabelOutcome,
  withTicket,
  withUploaded,
  withUploadFailure,
} from './sync-decisions.ts';

const NOW = new Date('2026-11-26T12:00:00.000Z');
const UPLOAD_ID = '3f1c2b1e-8a5d-4c3b-9e2f-1a2b3c4d5e6f';
const LABEL_ID = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';

function offlineItem(overrides: Partial<ItemRecord> = {}): ItemRecord {
  return {
    id: 'item-1',
    createdAt: NOW.toISOString(),
    model: 'digits',
    image: new Blob([new Uint8Array([0xff, 0xd8, 0xff])], { type: 'image/jpeg' }),
    imageType: 'image/jpeg',
    thumbnail: new Blob([]),
    device: { model: 'digits', modelVersion: '1', label: '7', confidence: 0.99, topK: [], inferenceMs: 1 },
    upload: { status: 'waiting', attempts: 0 },
    pending: 1,
    ...overrides,
  };
}

const ticketResponse = (expiresAt: Date) => ({
  uploadId: UPLOAD_ID,
  url: 'http://127.0.0.1:4569/pictor-local/uploads/x?X-Amz-Signature=abc',
  headers: { 'content-type': 'image/jpeg', 'x-amz-meta-model': 'digits' },
  token: 't'.repeat(43),
  model: 'digits',
  expiresAt: expiresAt.toISOString(),
});

const inFiveMinutes = new Date(NOW.getTime() + 5 * 60_000);

describe('sync decisions', () => {
  it('asks for a presigned URL first for an image chosen offline', () => {
    expect(nextUploadStep(offlineItem(), NOW)).toEqual({ kind: 'create-upload' });
  });

  it('PUTs with a stored URL that is still valid, and asks for a new one when it is about to expire', () => {
    const ticketed = withTicket(offlineItem(), ticketResponse(inFiveMinutes), NOW);
    expect(nextUploadStep(ticketed, NOW)).toMatchObject({ kind: 'put', ticket: { uploadId: UPLOAD_ID } });
    const almostExpired = new Date(inFiveMinutes.getTime() - TICKET_SAFETY_MS + 1);
    expect(nextUploadStep(ticketed, almostExpired)).toEqual({ kind: 'create-upload' });
  });

  it('still uses a fresh URL on a phone whose clock runs ten minutes ahead of the server', () => {
    const ahead = new Date(NOW.getTime() + 10 * 60_000);
    const ticketed = withTicket(offlineItem(), ticketResponse(inFiveMinutes), ahead);
    expect(nextUploadStep(ticketed, ahead)).toMatchObject({ kind: 'put' });
    expect(nextUploadStep(ticketed, new Date(ahead.getTime() + MIN_TICKET_LIFETIME_MS))).toEqual({
      kind: 'create-upload',
    });
  });

  it('drops the image bytes once S3 has them, keeping the uploadId and token', () => {
    const uploaded = withUploaded(withTicket(offlineItem(), ticketResponse(inFiveMinutes), NOW), NOW);
    expect(uploaded.image).toBeUndefined();
    expect(uploaded.upload).toEqual({
      status: 'uploaded',
      uploadId: UPLOAD_ID,
      token: 't'.repeat(43),
      uploadedAt: NOW.toISOString(),
    });
    expect(nextUploadStep(uploaded, NOW)).toEqual({ kind: 'none' });
    expect(needsSync(uploaded)).toBe(false);
    expect(uploaded.pending).toBe(0);
  });

  it('keeps a label given before the upload pending, and sends it only once the upload is done', () => {
    const labelled = withLabel(offlineItem(), '7', NOW, () => LABEL_ID);
    expect(labelled.label).toEqual({
      labelId: LABEL_ID,
      label: '7',
      labeledAt: NOW.toISOString(),
      source: 'volunteered',
      status: 'pending',
    });
    expect(labelSubmissionOf(labelled)).toBeNull();

    const uploaded = withUploaded(withTicket(labelled, ticketResponse(inFiveMinutes), NOW), NOW);
    expect(needsSync(uploaded)).toBe(true);
    expect(labelSubmissionOf(uploaded)).toEqual({
      labelId: LABEL_ID,
      uploadId: UPLOAD_ID,
      token: 't'.repeat(43),
      label: '7',
      labeledAt: NOW.toISOString(),
      source: 'volunteered',
      device: { model: 'digits', modelVersion: '1', label: '7', confidence: 0.99 },
    });
  });

  it('sends whether the app asked for the label, and a label stored before labels had a source as volunteered', () => {
    const uploaded = withUploaded(withTicket(offlineItem(), ticketResponse(inFiveMinutes), NOW), NOW);
    const asked = withLabel(uploaded, '7', NOW, () => LABEL_ID, 'asked');
    expect(labelSubmissionOf(asked)).toMatchObject({ labelId: LABEL_ID, label: '7', source: 'asked' });
    const before = {
      labelId: LABEL_ID,
      label: '7',
      labeledAt: NOW.toISOString(),
      status: 'pending' as const,
    };
    expect(labelSubmissionOf({ ...uploaded, label: before })).toMatchObject({ source: 'volunteered' });
  });

  it('changes an unsent label in place (same labelId) and gives a sent one a new labelId', () => {
    let ids = 0;
    const newId = () => `00000000-0000-4000-8000-00000000000${++ids}`;
    const first = withLabel(offlineItem(), '7', NOW, newId);
    const changed = withLabel(first, '1', NOW, newId);
    expect(changed.label?.labelId).toBe(first.label?.labelId);
    expect(changed.label?.label).toBe('1');

    const sent = withLabelOutcome(changed, { labelId: changed.label?.labelId ?? '', status: 'stored' }, NOW);
    expect(sent.label?.status).toBe('sent');
    const relabelled = withLabel(sent, '7', NOW, newId);
    expect(relabelled.label?.labelId).not.toBe(first.label?.labelId);
    expect(relabelled.label?.status).toBe('pending');
  });

  it('counts a duplicate as sent and a rejection as final', () => {
    const labelled = withLabel(offlineItem(), '7', NOW, () => LABEL_ID);
    expect(withLabelOutcome(labelled, { labelId: LABEL_ID, status: 'duplicate' }, NOW).label?.status).toBe(
      'sent',
    );
    const rejected = withLabelOutcome(
      labelled,
      { labelId: LABEL_ID, status: 'rejected', code: 'wrong_token', message: 'no' },
      NOW,
    );
    expect(rejected.label).toMatchObject({ status: 'rejected', code: 'wrong_token' });
    // An outcome for another label changes nothing.
    expect(withLabelOutcome(labelled, { labelId: 'other', status: 'stored' }, NOW)).toBe(labelled);
  });

  it('sorts failures: no network stops the run, 5xx waits, a refused URL is replaced, 4xx from the gateway is final', () => {
    expect(classifyFailure(new NetworkError('down'))).toBe('offline');
    expect(classifyFailure(new DOMException('slow', 'TimeoutError'))).toBe('offline');
    expect(classifyFailure(new ApiError(503, 'storage_unavailable', 'later'))).toBe('transient');
    expect(classifyFailure(new UploadRejectedError(403))).toBe('ticket-refused');
    expect(classifyFailure(new UploadRejectedError(500))).toBe('transient');
    expect(classifyFailure(new ApiError(400, 'invalid_upload_request', 'model'))).toBe('permanent');
  });

  it('does not count being offline as a failed attempt', () => {
    const item = withTicket(offlineItem(), ticketResponse(inFiveMinutes), NOW);
    expect(withUploadFailure(item, 'offline', 'down')).toBe(item);
  });

  it('forgets a refused URL so that a new one is asked for', () => {
    const item = withTicket(offlineItem(), ticketResponse(inFiveMinutes), NOW);
    const after = withUploadFailure(item, 'ticket-refused', 'HTTP 403');
    expect(after.upload).toEqual({ status: 'waiting', attempts: 1, lastError: 'HTTP 403' });
    expect(nextUploadStep(after, NOW)).toEqual({ kind: 'create-upload' });
  });

  it('gives up after MAX_UPLOAD_ATTEMPTS failures, and the label with it', () => {
    let item = withLabel(offlineItem(), '7', NOW, () => LABEL_ID);
    for (let i = 0; i < MAX_UPLOAD_ATTEMPTS; i++) item = withUploadFailure(item, 'transient', 'HTTP 503');
    expect(item.upload.status).toBe('failed');
    expect(item.label).toMatchObject({ status: 'rejected', code: 'upload_refused' });
    expect(needsSync(item)).toBe(false);
  });
});
