import type { WebSocket } from '@trufflesuite/uws-js-unofficial';
import { clientMessageSchema, type ServerMessage } from '../contracts/ws-messages.ts';
import { describeIssue } from '../contracts/zod-issues.ts';
import type { GatewayContext } from './gateway-context.ts';
import { isFinal } from './result-store.ts';
import { resultMessage, uploadTopic } from './server-messages.ts';
import { verifyUploadToken } from './upload-token.ts';

const MAX_SUBSCRIPTIONS_PER_SOCKET = 64;

interface SocketData {
  readonly remote: string;
  /** Set on close: a lookup that finishes later must not touch the socket (uWS throws). */
  closed: boolean;
}

/**
 * `/ws`: a browser subscribes to its uploads with their tokens and is pushed each result once it
 * exists (at once, if it already does). Returns the open sockets, for shutdown.
 */
export function registerSocketRoutes({
  app,
  config,
  pushes,
  outcomes,
  log,
}: GatewayContext): Set<WebSocket<SocketData>> {
  const sockets = new Set<WebSocket<SocketData>>();
  const send = (ws: WebSocket<SocketData>, message: ServerMessage) => {
    // 2 = dropped for backpressure: uWS then closes the socket (closeOnBackpressureLimit), and the
    // result stays in the store for the browser's reconnect and re-subscribe, or its poll.
    if (ws.send(JSON.stringify(message)) === 2)
      log.warn({ remote: ws.getUserData().remote }, 'client too slow: message dropped, socket closed');
  };

  app.ws<SocketData>('/ws', {
    maxPayloadLength: 4 * 1024,
    idleTimeout: 120,
    sendPingsAutomatically: true,
    // A client that does not read is cut off at 256 KiB queued (far above what 64 subscriptions can
    // legitimately queue), not buffered without bound, and never left with a verdict silently dropped
    // (app.publish drops on this limit too): closed, it reconnects and gets what it missed from the store.
    maxBackpressure: 256 * 1024,
    closeOnBackpressureLimit: 1,
    upgrade: (res, req, context) => {
      res.upgrade<SocketData>(
        { remote: Buffer.from(res.getRemoteAddressAsText()).toString(), closed: false },
        req.getHeader('sec-websocket-key'),
        req.getHeader('sec-websocket-protocol'),
        req.getHeader('sec-websocket-extensions'),
        context,
      );
    },
    open: (ws) => {
      sockets.add(ws);
    },
    message: (ws, raw) => {
      let json: unknown;
      try {
        json = JSON.parse(Buffer.from(raw).toString('utf8'));
      } catch {
        return send(ws, { type: 'rejected', code: 'invalid_json', message: 'messages must be JSON' });
      }
      const parsed = clientMessageSchema.safeParse(json);
      if (!parsed.success) {
        return send(ws, {
          type: 'rejected',
          code: 'invalid_message',
          message: describeIssue(parsed.error, 'message'),
        });
      }
      const message = parsed.data;
      if (message.type === 'unsubscribe') {
        ws.unsubscribe(uploadTopic(message.uploadId));
        return;
      }
      if (!verifyUploadToken(config.uploadTokenSecret, message.uploadId, message.token)) {
        return send(ws, {
          type: 'rejected',
          uploadId: message.uploadId,
          code: 'wrong_token',
          message: 'the token does not belong to this upload',
        });
      }
      if (ws.getTopics().length >= MAX_SUBSCRIPTIONS_PER_SOCKET) {
        return send(ws, {
          type: 'rejected',
          uploadId: message.uploadId,
          code: 'too_many_subscriptions',
          message: `at most ${MAX_SUBSCRIPTIONS_PER_SOCKET} uploads per connection`,
        });
      }
      const { uploadId } = message;
      const topic = uploadTopic(uploadId);
      // Subscribed first, then looked up: a result is either pushed from now on or found by the lookup.
      ws.subscribe(topic);
      const mark = pushes.mark();
      // Read now: a closed uWS socket throws on every method, getUserData included.
      const data = ws.getUserData();
      send(ws, { type: 'subscribed', uploadId });
      // A result that arrived before the subscription (on any gateway: the relay's cache, then the S3
      // outcome record, which the lookup also announces to every gateway's subscribers).
      void outcomes
        .find(uploadId)
        .then((found) => {
          if (!found || data.closed || !ws.isSubscribed(topic)) return;
          // A push since subscribing reached this socket; anything newer is still on its way by push.
          if (pushes.pushedSince(uploadId, mark)) return;
          ws.cork(() => send(ws, resultMessage(found)));
          // Nothing comes after a final result: leaving the topic keeps its push (maybe still on the
          // bus) from arriving a second time, and frees the subscription slot.
          if (isFinal(found)) ws.unsubscribe(topic);
        })
        .catch((error: unknown) => log.warn({ err: error, uploadId }, 'lookup failed'));
    },
    close: (ws) => {
      ws.getUserData().closed = true;
      sockets.delete(ws);
    },
  });
  return sockets;
}
