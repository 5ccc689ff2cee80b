import { z } from 'zod';
import { predictionErrorSchema, predictionSchema } from './prediction.ts';

/** Browser → gateway over `/ws`. */
export const clientMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('subscribe'), uploadId: z.uuid(), token: z.string().min(1) }),
  z.object({ type: z.literal('unsubscribe'), uploadId: z.uuid() }),
]);
export type ClientMessage = z.infer<typeof clientMessageSchema>;

/** Gateway → browser over `/ws`. `error` without an uploadId answers a message the gateway could not accept. */
export const serverMessageSchema = z.discriminatedUnion('type', [
  predictionSchema.extend({ type: z.literal('prediction') }),
  predictionErrorSchema.extend({ type: z.literal('error') }),
  z.object({ type: z.literal('subscribed'), uploadId: z.uuid() }),
  z.object({
    type: z.literal('rejected'),
    uploadId: z.string().optional(),
    code: z.string(),
    message: z.string(),
  }),
]);
export type ServerMessage = z.infer<typeof serverMessageSchema>;

/**
 * `GET /api/predictions/<uploadId>`: the polling fallback for clients without a WebSocket. `final`
 * says whether anything more will come: `done` is final, `pending` is not, `failed` is final only
 * when the error is (a transient error is answered while the system retries).
 */
export const predictionStatusSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('done'), final: z.literal(true), prediction: predictionSchema }),
  z.object({ status: z.literal('pending'), final: z.literal(false) }),
  z.object({ status: z.literal('failed'), final: z.boolean(), error: predictionErrorSchema }),
]);
export type PredictionStatus = z.infer<typeof predictionStatusSchema>;
