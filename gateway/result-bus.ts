import type { UploadResult } from '../contracts/results.ts';

/**
 * Carries each new result to every gateway, so it reaches its subscriber on whichever gateway the
 * browser is connected to. Fire and forget: a gateway that misses a message (disconnected at that
 * moment) still has the result cache and the durable outcome for the browser's re-subscribe or poll.
 */
export interface ResultBus {
  publish(result: UploadResult): Promise<void>;
  /** Calls `onResult` for every result any gateway publishes, this one's included. */
  subscribe(onResult: (result: UploadResult) => void): Promise<void>;
  close(): Promise<void>;
}

/** The single gateway's bus: a result published is handed straight to this process's listeners. */
export class LocalResultBus implements ResultBus {
  private readonly listeners = new Set<(result: UploadResult) => void>();

  async publish(result: UploadResult): Promise<void> {
    for (const listener of this.listeners) listener(result);
  }

  async subscribe(onResult: (result: UploadResult) => void): Promise<void> {
    this.listeners.add(onResult);
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}
