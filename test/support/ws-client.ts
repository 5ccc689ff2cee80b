import { WebSocket } from 'undici';
import { type ServerMessage, serverMessageSchema } from '../../contracts/ws-messages.ts';

/** A WebSocket client for tests: every message it receives, validated, and a way to wait for one. */
export class TestSocket {
  readonly messages: ServerMessage[] = [];
  /** Resolves when the connection closes, from either side (a killed server included). */
  readonly closed: Promise<void>;
  private waiters: Array<() => void> = [];

  private constructor(private readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => ws.addEventListener('close', () => resolve(), { once: true }));
    ws.addEventListener('message', (event) => {
      this.messages.push(serverMessageSchema.parse(JSON.parse(String(event.data))));
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static async open(baseUrl: string): Promise<TestSocket> {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws`);
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => resolve(), { once: true });
      ws.addEventListener('error', () => reject(new Error('WebSocket did not open')), { once: true });
    });
    return new TestSocket(ws);
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Resolves with the first message (already received or to come) that matches. */
  async waitFor<T extends ServerMessage>(match: (m: ServerMessage) => m is T, timeoutMs?: number): Promise<T>;
  async waitFor(match: (m: ServerMessage) => boolean, timeoutMs?: number): Promise<ServerMessage>;
  async waitFor(match: (m: ServerMessage) => boolean, timeoutMs = 15_000): Promise<ServerMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(match);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(this.messages)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /**
   * Resolves once the gateway has answered a message sent now: everything it sent this socket before
   * (a push that should not be there, say) has then arrived too, as one connection keeps its order.
   * The positive signal to wait for before asserting that something did not come.
   */
  async roundTrip(): Promise<void> {
    const rejectedBefore = this.messages.filter((m) => m.type === 'rejected').length;
    this.send('round trip: not JSON, answered with a rejection');
    await this.waitFor(() => this.messages.filter((m) => m.type === 'rejected').length > rejectedBefore);
  }

  close(): void {
    this.ws.close();
  }
}

export const isPrediction = (m: ServerMessage): m is Extract<ServerMessage, { type: 'prediction' }> =>
  m.type === 'prediction';
export const isError = (m: ServerMessage): m is Extract<ServerMessage, { type: 'error' }> =>
  m.type === 'error';
