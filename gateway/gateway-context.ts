import type { S3Client } from '@aws-sdk/client-s3';
import type { TemplatedApp } from '@trufflesuite/uws-js-unofficial';
import type { Logger } from 'pino';
import type { GatewayConfig } from './config.ts';
import type { ModelCatalogue } from './model-catalogue.ts';
import type { OutcomeLookup } from './outcome-lookup.ts';
import type { PublicationLog } from './publication-log.ts';
import type { ResultRelay } from './result-relay.ts';

/** What every group of routes is given: the app to register on and the gateway's shared parts. */
export interface GatewayContext {
  readonly app: TemplatedApp;
  readonly config: GatewayConfig;
  readonly s3: S3Client;
  /** Where results are kept and how they reach every gateway (memory, or Redis with REDIS_URL). */
  readonly results: ResultRelay;
  /** Which uploads this gateway pushed a result for, and when (see socket-routes.ts). */
  readonly pushes: PublicationLog;
  /** The models the inference host serves and their labels (cached). */
  readonly models: ModelCatalogue;
  /** The relay's cache, then the S3 outcome record: where polls and subscriptions find results. */
  readonly outcomes: OutcomeLookup;
  readonly log: Logger;
  /** Logs an error that was not an HttpError (a bug or an outage), for guard.error(). */
  readonly onUnexpected: (error: unknown) => void;
}
