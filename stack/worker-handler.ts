import { Worker } from 'node:worker_threads';
import type { LambdaConfig } from '../lambda/config.ts';
import type { LambdaFunction } from './event-bridge.ts';

/** One invocation, sent to the worker. */
export interface HandlerCall {
  readonly id: number;
  readonly event: unknown;
  readonly awsRequestId: string;
  /** Epoch ms when the invocation's time is up. */
  readonly deadline: number;
}

export type HandlerReply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly message: string };

export interface WorkerHandler {
  readonly handler: LambdaFunction;
  /** Fails the invocations still waiting and stops the thread. */
  close(): Promise<void>;
}

/**
 * The Lambda handler on a worker thread, behind the same function shape the event bridge invokes. In
 * AWS the function never shares a CPU with S3; locally it did, and a `bench:e2e` profile showed the
 * local S3 server and the handler's AWS SDK calls taking turns on one event loop. A failed invocation
 * rejects with the handler's message (the bridge retries it); a thread that dies fails what it was doing
 * and is started again for the next event.
 */
export function startWorkerHandler(config: LambdaConfig, logLevel: string): WorkerHandler {
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let worker: Worker | undefined;
  let closed = false;

  const failAll = (why: string) => {
    for (const [id, call] of pending) {
      pending.delete(id);
      call.reject(new Error(why));
    }
  };
  const thread = (): Worker => {
    if (worker) return worker;
    // Workers do not inherit tsx's loader (`--import tsx` registers it on the main thread only): the
    // thread registers it itself, then loads the TypeScript entry.
    const entry = new URL('./lambda-worker.ts', import.meta.url).href;
    const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`;
    const started = new Worker(bootstrap, { eval: true, workerData: { config, logLevel } });
    started.on('message', (reply: HandlerReply) => {
      const call = pending.get(reply.id);
      if (!call) return;
      pending.delete(reply.id);
      if (reply.ok) call.resolve(reply.value);
      else call.reject(new Error(reply.message));
    });
    started.on('error', (error) => failAll(`the handler's thread failed: ${error.message}`));
    started.on('exit', (code) => {
      if (worker === started) worker = undefined;
      failAll(`the handler's thread exited with ${code}`);
    });
    worker = started;
    return started;
  };

  return {
    handler: (event, context) => {
      if (closed) return Promise.reject(new Error('the handler is closed'));
      const id = nextId++;
      const call: HandlerCall = {
        id,
        event,
        awsRequestId: context.awsRequestId,
        deadline: Date.now() + context.getRemainingTimeInMillis(),
      };
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        thread().postMessage(call);
      });
    },
    async close() {
      closed = true;
      const running = worker;
      worker = undefined;
      await running?.terminate();
      failAll('the handler is closed');
    },
  };
}
