import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import type { LambdaConfig } from '../lambda/config.ts';
import { createHandler } from '../lambda/handler.ts';
import type { HandlerCall, HandlerReply } from './worker-handler.ts';

// The Lambda handler on its own thread (worker-handler.ts starts it): invoked per message, one reply each.
const { config, logLevel } = workerData as { config: LambdaConfig; logLevel: string };
const log = pino({ level: logLevel }).child({ service: 'lambda' });
const handler = createHandler(config, { log: (level, message, fields) => log[level](fields, message) });
const port = parentPort;
if (!port) throw new Error('lambda-worker.ts runs as a worker thread (stack/worker-handler.ts)');

port.on('message', (call: HandlerCall) => {
  handler(call.event, {
    awsRequestId: call.awsRequestId,
    getRemainingTimeInMillis: () => Math.max(0, call.deadline - Date.now()),
  }).then(
    (value) => port.postMessage({ id: call.id, ok: true, value } satisfies HandlerReply),
    (error: unknown) =>
      port.postMessage({
        id: call.id,
        ok: false,
        message: error instanceof Error ? error.message : String(error),
      } satisfies HandlerReply),
  );
});
