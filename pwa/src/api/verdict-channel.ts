import type { Prediction } from '../../../contracts/prediction.ts';
import {
  type ClientMessage,
  type ServerMessage,
  serverMessageSchema,
} from '../../../contracts/ws-messages.ts';
import { describeIssue } from '../../../contracts/zod-issues.ts';
import { PredictionFailedError, SubscriptionRejectedError, VerdictTimeoutError } from '../errors.ts';
import { sleep } from '../sleep.ts';
import { pollPrediction } from './poll-prediction.ts';
import type { UploadTicket } from './upload-ticket.ts';

/** How the verdict reached the page. */
export type VerdictSource = 'websocket' | 'polling';

export interface Verdict {
  readonly prediction: Prediction;
  readonly via: VerdictSource;
}

export interface VerdictTiming {
  /** Waits before each reconnect; when they are used up, the channel falls back to polling. */
  readonly reconnectDelaysMs: readonly number[];
  /** A socket that has not confirmed the subscription by then counts as dropped. */
  readonly connectTimeoutMs: number;
  readonly pollIntervalMs: number;
  /** Subscribed but still silent after this long: poll as well, in case a push was lost. */
  readonly safetyPollAfterMs: number;
  /** The whole wait, after which the verdict rejects with VerdictTimeoutError. */
  readonly giveUpAfterMs: number;
}

export const DEFAULT_VERDICT_TIMING: VerdictTiming = Object.freeze({
  reconnectDelaysMs: [300, 1_000, 3_000],
  connectTimeoutMs: 5_000,
  pollIntervalMs: 1_000,
  safetyPollAfterMs: 20_000,
  // The server re-drives a failed upload until it has a verdict or, after 15 minutes
  // (GIVE_UP_AFTER_SECONDS), a final error; wait a little longer than that.
  giveUpAfterMs: 16 * 60_000,
});

export interface VerdictChannelOptions {
  readonly signal?: AbortSignal;
  /** The server hit a transient failure and is retrying; a verdict may still follow. */
  readonly onRetrying?: (message: string) => void;
  /** Defaults to `/ws` on the page's origin. */
  readonly socketUrl?: string;
  readonly timing?: Partial<VerdictTiming>;
}

export interface VerdictChannel {
  /** Settles once the gateway confirmed the subscription, or the channel switched to polling. Never rejects. */
  readonly ready: Promise<void>;
  /**
   * The first final message: the prediction, or a rejection with PredictionFailedError,
   * SubscriptionRejectedError, ApiError, VerdictTimeoutError or the signal's reason.
   */
  readonly verdict: Promise<Verdict>;
  /** Stops listening and polling. */
  close(): void;
}

type SocketOutcome =
  | { readonly kind: 'verdict'; readonly verdict: Verdict }
  | { readonly kind: 'dropped'; readonly subscribed: boolean };

/**
 * Listens for the verdict on one upload: subscribes over the WebSocket, reconnects when the socket
 * drops, and falls back to polling `GET /api/predictions/<id>` when it keeps failing. Open it before
 * uploading; a verdict that arrives before the subscription is delivered on subscribe.
 *
 * @example
 * const channel = openVerdictChannel(upload, { signal });
 * await channel.ready;
 * await uploadToS3(upload, file, { signal });
 * const { prediction } = await channel.verdict;
 */
export function openVerdictChannel(
  ticket: UploadTicket,
  options: VerdictChannelOptions = {},
): VerdictChannel {
  const timing = { ...DEFAULT_VERDICT_TIMING, ...options.timing };
  const socketUrl = options.socketUrl ?? defaultSocketUrl();
  const controller = new AbortController();
  const { signal } = controller;
  const forwardAbort = () => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) forwardAbort();
  else options.signal?.addEventListener('abort', forwardAbort, { once: true });
  const deadline = setTimeout(
    () => controller.abort(new VerdictTimeoutError(timing.giveUpAfterMs)),
    timing.giveUpAfterMs,
  );

  let markReady = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });

  let polling: Promise<Verdict> | undefined;
  const startPolling = (): Promise<Verdict> => {
    markReady();
    polling ??= pollPrediction(ticket, {
      signal,
      intervalMs: timing.pollIntervalMs,
      onRetrying: options.onRetrying,
    }).then((prediction) => ({ prediction, via: 'polling' }));
    return polling;
  };

  const viaSocket = async (): Promise<Verdict> => {
    if (typeof WebSocket === 'undefined') return startPolling();
    for (let attempt = 0; ; attempt++) {
      const outcome = await listenOnce(
        socketUrl,
        ticket,
        signal,
        timing.connectTimeoutMs,
        markReady,
        options.onRetrying,
      );
      if (outcome.kind === 'verdict') return outcome.verdict;
      // A socket that worked and then dropped earns a fresh set of reconnects; the deadline still bounds them.
      if (outcome.subscribed) attempt = 0;
      const delay = timing.reconnectDelaysMs[attempt];
      if (delay === undefined || polling) return startPolling();
      await sleep(delay, signal);
    }
  };

  const safetyNet = async (): Promise<Verdict> => {
    await ready;
    await sleep(timing.safetyPollAfterMs, signal);
    return startPolling();
  };

  const verdict = Promise.race([viaSocket(), safetyNet()]).finally(() => {
    clearTimeout(deadline);
    options.signal?.removeEventListener('abort', forwardAbort);
    markReady();
    controller.abort(new DOMException('verdict channel closed', 'AbortError'));
  });

  return {
    ready,
    verdict,
    close: () => controller.abort(new DOMException('verdict channel closed', 'AbortError')),
  };
}

/** One WebSocket connection: subscribe, then wait for a final message or for the socket to drop. */
function listenOnce(
  url: string,
  ticket: UploadTicket,
  signal: AbortSignal,
  connectTimeoutMs: number,
  onSubscribed: () => void,
  onRetrying: ((message: string) => void) | undefined,
): Promise<SocketOutcome> {
  return new Promise((resolve, reject) => {
    signal.throwIfAborted();
    let socket: WebSocket;
    try {
      socket = new WebSocket(url);
    } catch {
      return resolve({ kind: 'dropped', subscribed: false });
    }
    let subscribed = false;
    const connectTimer = setTimeout(
      () => finish(() => resolve({ kind: 'dropped', subscribed })),
      connectTimeoutMs,
    );
    const onAbort = () => finish(() => reject(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });

    function finish(settle: () => void): void {
      clearTimeout(connectTimer);
      signal.removeEventListener('abort', onAbort);
      socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
      if (socket.readyState === WebSocket.CONNECTING || socket.readyState === WebSocket.OPEN)
        socket.close(1000);
      settle();
    }

    socket.onopen = () => {
      const subscribe: ClientMessage = { type: 'subscribe', uploadId: ticket.uploadId, token: ticket.token };
      socket.send(JSON.stringify(subscribe));
    };
    socket.onclose = () => finish(() => resolve({ kind: 'dropped', subscribed }));
    socket.onmessage = (event) => {
      const message = parseServerMessage(event.data);
      if (!message || (message.uploadId !== undefined && message.uploadId !== ticket.uploadId)) return;
      switch (message.type) {
        case 'subscribed':
          subscribed = true;
          clearTimeout(connectTimer);
          onSubscribed();
          return;
        case 'prediction':
          return finish(() =>
            resolve({ kind: 'verdict', verdict: { prediction: message, via: 'websocket' } }),
          );
        case 'error':
          // `final: false`: the server is still trying, and the final outcome follows by itself.
          if (!message.final) return onRetrying?.(message.message);
          return finish(() => reject(new PredictionFailedError(message.code, message.message)));
        case 'rejected':
          return finish(() => reject(new SubscriptionRejectedError(message.code, message.message)));
      }
    };
  });
}

/** A validated server message, or null (logged) for anything the contract does not describe. */
function parseServerMessage(data: unknown): ServerMessage | null {
  let json: unknown;
  try {
    json = JSON.parse(String(data));
  } catch {
    console.warn('verdict channel: ignoring a message that is not JSON');
    return null;
  }
  const parsed = serverMessageSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  console.warn(`verdict channel: ignoring a malformed message (${describeIssue(parsed.error, 'message')})`);
  return null;
}

function defaultSocketUrl(): string {
  const url = new URL('/ws', location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}
