import type { UploadResult } from '../contracts/results.ts';
import type { ServerMessage } from '../contracts/ws-messages.ts';

/** The WebSocket message that tells a browser about a result. */
export function resultMessage(result: UploadResult): ServerMessage {
  return result.type === 'prediction'
    ? { type: 'prediction', ...result.prediction }
    : { type: 'error', ...result.error };
}

/** The pub/sub topic a browser subscribes to for one upload. */
export function uploadTopic(uploadId: string): string {
  return `upload/${uploadId}`;
}
