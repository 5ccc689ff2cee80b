import { WebSocket } from 'undici';
import type { CreateUploadResponse } from '../contracts/uploads.ts';
import { type PredictionStatus, serverMessageSchema } from '../contracts/ws-messages.ts';
import { createUpload, putToS3 } from '../test/support/uploads.ts';

/** One upload as the user saw it: when its PUT completed and when the final verdict was in hand (epoch ms). */
export interface UserTiming {
  readonly uploadId: string;
  readonly putDoneAt: number;
  readonly verdictAt: number;
  readonly final: 'prediction' | 'error';
}

/** Epoch milliseconds with sub-millisecond resolution, comparable with the components' `Date.now()`. */
export const nowMs = (): number => performance.timeOrigin + performance.now();

const VERDICT_TIMEOUT_MS = 30_000;
const MAX_POLLS = 60;

/**
 * A user who keeps one WebSocket open (as the app does) and, per photo, asks for a presigned URL,
 * subscribes, PUTs and waits for the pushed final verdict.
 */
export class PushUser {
  private readonly waiting = new Map<string, (message: { type: string; final?: boolean }) => void>();

  private constructor(private readonly socket: WebSocket) {
    socket.addEventListener('message', (event) => {
      const message = serverMessageSchema.parse(JSON.parse(String(event.data)));
      if ('uploadId' in message && message.uploadId) this.waiting.get(message.uploadId)?.(message);
    });
  }

  static async connect(gatewayUrl: string): Promise<PushUser> {
    const socket = new WebSocket(`${gatewayUrl.replace(/^http/, 'ws')}/ws`);
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener('open', () => resolve(), { once: true });
      socket.addEventListener('error', () => reject(new Error('WebSocket did not open')), { once: true });
    });
    return new PushUser(socket);
  }

  /** One photo, start to verdict. */
  async upload(gatewayUrl: string, image: Uint8Array): Promise<UserTiming> {
    const upload = await createUpload(gatewayUrl, { contentType: 'image/png', size: image.length });
    const subscribed = this.next(upload.uploadId, (m) => m.type === 'subscribed');
    this.socket.send(JSON.stringify({ type: 'subscribe', uploadId: upload.uploadId, token: upload.token }));
    await subscribed;
    const verdict = this.next(
      upload.uploadId,
      (m) => m.type === 'prediction' || (m.type === 'error' && m.final === true),
    );
    await put(upload, image);
    const putDoneAt = nowMs();
    const final = await verdict;
    const verdictAt = nowMs();
    this.socket.send(JSON.stringify({ type: 'unsubscribe', uploadId: upload.uploadId }));
    this.waiting.delete(upload.uploadId);
    return { uploadId: upload.uploadId, putDoneAt, verdictAt, final: final as UserTiming['final'] };
  }

  close(): void {
    this.socket.close();
  }

  /** Resolves with the type of the next message for this upload that `accept`s, or rejects after the timeout. */
  private next(
    uploadId: string,
    accept: (message: { type: string; final?: boolean }) => boolean,
  ): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no answer for ${uploadId} within ${VERDICT_TIMEOUT_MS} ms`)),
        VERDICT_TIMEOUT_MS,
      );
      this.waiting.set(uploadId, (message) => {
        if (!accept(message)) return;
        clearTimeout(timer);
        resolve(message.type);
      });
    });
  }
}

/** A user without a WebSocket: asks for a presigned URL, PUTs, then polls every `intervalMs` until final. */
export async function pollingUpload(
  gatewayUrl: string,
  image: Uint8Array,
  intervalMs: number,
): Promise<UserTiming> {
  const upload = await createUpload(gatewayUrl, { contentType: 'image/png', size: image.length });
  await put(upload, image);
  const putDoneAt = nowMs();
  for (let i = 0; i < MAX_POLLS; i++) {
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    const response = await fetch(`${gatewayUrl}/api/predictions/${upload.uploadId}`, {
      headers: { authorization: `Bearer ${upload.token}` },
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await response.json()) as PredictionStatus;
    if (body.final) {
      return {
        uploadId: upload.uploadId,
        putDoneAt,
        verdictAt: nowMs(),
        final: body.status === 'done' ? 'prediction' : 'error',
      };
    }
  }
  throw new Error(`no final answer for ${upload.uploadId} after ${MAX_POLLS} polls`);
}

async function put(upload: CreateUploadResponse, image: Uint8Array): Promise<void> {
  const response = await putToS3(upload, image);
  await response.body?.cancel();
  if (response.status !== 200) throw new Error(`PUT answered ${response.status}`);
}
