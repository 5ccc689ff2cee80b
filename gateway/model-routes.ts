import { request } from 'undici';
import { z } from 'zod';
import type { ModelList, ModelSummary } from '../contracts/models.ts';
import { HttpError } from '../platform/http-error.ts';
import { HttpExchange } from '../platform/http-exchange.ts';
import type { GatewayContext } from './gateway-context.ts';

const CACHE_MS = 60_000;
const TIMEOUT_MS = 3_000;

const repositoryIndexSchema = z.array(
  z.object({ name: z.string(), version: z.string().optional(), state: z.string().optional() }),
);
const modelMetadataSchema = z.object({
  name: z.string(),
  versions: z.array(z.string()).min(1),
  parameters: z.object({
    display_name: z.string(),
    labels: z.array(z.string()),
    held_out_accuracy: z.number().optional(),
  }),
});

/**
 * `GET /api/models`: the models the inference host serves, for the app's model picker — read from the
 * host's repository index and model metadata (Open Inference Protocol), cached for a minute.
 */
export function registerModelRoutes({ app, config, onUnexpected }: GatewayContext): void {
  let cached: { at: number; list: ModelList } | undefined;

  const load = async (): Promise<ModelList> => {
    if (cached && Date.now() - cached.at < CACHE_MS) return cached.list;
    if (!config.inferenceUrl)
      throw new HttpError(503, 'models_unavailable', 'the gateway has no INFERENCE_URL');
    const getJson = async (path: string, method: 'GET' | 'POST' = 'GET') => {
      try {
        const response = await request(new URL(path, config.inferenceUrl), {
          method,
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
        if (response.statusCode !== 200) throw new Error(`answered ${response.statusCode}`);
        return (await response.body.json()) as unknown;
      } catch (error) {
        throw new HttpError(
          503,
          'models_unavailable',
          `the inference host could not list its models: ${(error as Error).message}`,
        );
      }
    };
    const index = repositoryIndexSchema.parse(await getJson('/v2/repository/index', 'POST'));
    const names = [
      ...new Set(index.filter((m) => !m.state || m.state === 'READY').map((m) => m.name)),
    ].sort();
    const models: ModelSummary[] = [];
    for (const name of names) {
      const meta = modelMetadataSchema.parse(await getJson(`/v2/models/${encodeURIComponent(name)}`));
      models.push({
        name,
        displayName: meta.parameters.display_name,
        version: meta.versions[0] as string,
        labels: meta.parameters.labels,
        ...(meta.parameters.held_out_accuracy === undefined
          ? {}
          : { heldOutAccuracy: meta.parameters.held_out_accuracy }),
        isDefault: name === config.defaultModel,
      });
    }
    cached = { at: Date.now(), list: { models } };
    return cached.list;
  };

  app.get('/api/models', (res) => {
    const guard = new HttpExchange(res);
    load().then(
      (list) => guard.json(200, list, { 'cache-control': 'max-age=60' }),
      (error: unknown) => guard.error(error, onUnexpected),
    );
  });
}
