import type { Redis } from 'ioredis';
import { type UploadResult, uploadResultSchema } from '../contracts/results.ts';
import type { ResultBus } from './result-bus.ts';

/** The channel every gateway listens on: one for all results, filtered locally by uWS topic. */
export const RESULTS_CHANNEL = 'pictor:results';

/**
 * The result bus over Redis pub/sub: PUBLISH on one channel; each gateway holds one subscriber
 * connection and hands every message to its local WebSocket subscribers. One channel rather than one
 * per upload keeps Redis's work per result constant however many browsers subscribe; each gateway
 * receives every result, which at thousands a second is still a small fraction of one core.
 */
export class RedisResultBus implements ResultBus {
  private subscriber: Redis | undefined;

  constructor(
    private readonly publisher: Redis,
    private readonly onInvalid: (reason: string) => void = () => {},
    private readonly onError: (error: Error) => void = () => {},
  ) {}

  async publish(result: UploadResult): Promise<void> {
    await this.publisher.publish(RESULTS_CHANNEL, JSON.stringify(result));
  }

  async subscribe(onResult: (result: UploadResult) => void): Promise<void> {
    // A connection in subscriber mode can do nothing else, so it is a second one.
    this.subscriber ??= this.publisher.duplicate();
    this.subscriber.on('error', this.onError);
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== RESULTS_CHANNEL) return;
      let json: unknown;
      try {
        json = JSON.parse(message);
      } catch {
        return this.onInvalid('not JSON');
      }
      const parsed = uploadResultSchema.safeParse(json);
      if (parsed.success) onResult(parsed.data);
      else this.onInvalid(parsed.error.issues[0]?.message ?? 'not a result');
    });
    await this.subscriber.subscribe(RESULTS_CHANNEL);
  }

  async close(): Promise<void> {
    this.subscriber?.disconnect();
    this.subscriber = undefined;
  }
}
