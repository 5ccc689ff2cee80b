import { WebSocket } from 'undici';
import type { CreateUploadResponse } from '../../contracts/uploads.ts';
import {
  type PredictionStatus,
  type ServerMessage,
  serverMessageSchema,
} from '../../contracts/ws-messages.ts';
import { createUpload, putToS3 } from './uploads.ts';

/** A final message: a prediction, or an error that says nothing more will come. */
export type FinalMessage =
  | Extract<ServerMessage, { type: 'prediction' }>
  | Extract<ServerMessage, { type: 'error' }>;

function isFinalMessage(m: ServerMessage): m is FinalMessage {
  return m.type === 'prediction' || (m.type === 'error' && m.final);
}

/** The same outcome, whichever way it came. */
export function outcomeOf(m: FinalMessage): string {
  return m.type === 'prediction' ? `prediction:${m.label}` : `error:${m.code}`;
}

/**
 * One upload followed as the app follows it: a WebSocket subscription opened before the PUT, that
 * reconnects and re-subscribes whenever the socket drops, until a final message arrives. Records every
 * final message per connection, so a test can tell a duplicate (two on one subscription, or two
 * different outcomes) from a re-delivery on a fresh subscription.
 */
export class TrackedUpload {
  readonly finals: Array<{ connection: number; message: FinalMessage; at: number }> = [];
  transientErrors = 0;
  startedAt = 0;
  private connection = 0;
  private socket: WebSocket | undefined;
  private closed = false;
  private waiters: Array<() => void> = [];

  private constructor(
    private readonly gatewayUrl: string,
    readonly upload: CreateUploadResponse,
  ) {}

  /**
   * Asks for a presigned upload, subscribes, then PUTs the bytes, trying the PUT again for up to
   * `retryPutForMs` when S3 is unreachable or answers 5xx (as the app's upload queue does); resolves with
   * the last PUT's status (0: never reached S3).
   */
  static async send(
    gatewayUrl: string,
    image: Uint8Array,
    retryPutForMs = 0,
  ): Promise<{ tracked: TrackedUpload; putStatus: number }> {
    const upload = await createUpload(gatewayUrl, { contentType: 'image/png', size: image.length });
    const tracked = new TrackedUpload(gatewayUrl, upload);
    tracked.startedAt = Date.now();
    await tracked.connect();
    const giveUpAt = Date.now() + retryPutForMs;
    for (;;) {
      let status = 0;
      try {
        const response = await putToS3(upload, image);
        await response.body?.cancel();
        status = response.status;
      } catch {
        // unreachable, or reset mid-PUT
      }
      if ((status !== 0 && status < 500) || Date.now() >= giveUpAt) return { tracked, putStatus: status };
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }

  get uploadId(): string {
    return this.upload.uploadId;
  }

  get final(): FinalMessage | undefined {
    return this.finals[0]?.message;
  }

  /** Two finals on one subscription, or finals that disagree. */
  get duplicated(): boolean {
    const perConnection = new Set(this.finals.map((f) => f.connection));
    const outcomes = new Set(this.finals.map((f) => outcomeOf(f.message)));
    return perConnection.size < this.finals.length || outcomes.size > 1;
  }

  /** Resolves true once a final message arrived, false after `timeoutMs`. */
  async waitFinal(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.final) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 1_000));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return true;
  }

  /** The polling answer for this upload. */
  async poll(): Promise<{ status: number; body: PredictionStatus }> {
    const response = await fetch(`${this.gatewayUrl}/api/predictions/${this.uploadId}`, {
      headers: { authorization: `Bearer ${this.upload.token}` },
      signal: AbortSignal.timeout(10_000),
    });
    return { status: response.status, body: (await response.json()) as PredictionStatus };
  }

  /** Stops listening (after a final, the app closes its socket). */
  close(): void {
    this.closed = true;
    this.socket?.close();
  }

  private connect(): Promise<void> {
    const connection = ++this.connection;
    return new Promise((resolve) => {
      let settled = false;
      const settle = () => {
        if (!settled) {
          settled = true;
          resolve();
        }
      };
      const ws = new WebSocket(`${this.gatewayUrl.replace(/^http/, 'ws')}/ws`);
      this.socket = ws;
      ws.addEventListener('open', () =>
        ws.send(JSON.stringify({ type: 'subscribe', uploadId: this.uploadId, token: this.upload.token })),
      );
      ws.addEventListener('message', (event) => {
        const message = serverMessageSchema.parse(JSON.parse(String(event.data)));
        if (message.type === 'subscribed') settle();
        else if (message.type === 'error' && !message.final) this.transientErrors++;
        else if (isFinalMessage(message)) {
          this.finals.push({ connection, message, at: Date.now() });
          for (const wake of this.waiters.splice(0)) wake();
        }
      });
      ws.addEventListener('close', () => {
        settle();
        if (this.closed || this.final) return;
        // As the app does: reconnect and re-subscribe after a short wait.
        setTimeout(() => {
          if (!this.closed && !this.final) void this.connect();
        }, 250);
      });
      ws.addEventListener('error', () => {});
    });
  }
}
