import { request } from 'undici';
import { modelMetadataSchema, repositoryIndexSchema } from '../contracts/inference-api.ts';
import type { ModelList, ModelSummary } from '../contracts/models.ts';
import { HttpError } from '../platform/http-error.ts';

const CACHE_MS = 60_000;
const TIMEOUT_MS = 3_000;

/**
 * The models the inference host serves, with their labels: read from its repository index and model
 * metadata (Open Inference Protocol), cached for a minute. Should the host not answer, the last list
 * it gave is used; with none at all, `list()` throws a 503 HttpError.
 */
export class ModelCatalogue {
  private cached: { at: number; list: ModelList } | undefined;
  private loading: Promise<ModelList> | undefined;

  constructor(
    private readonly inferenceUrl: string | undefined,
    private readonly defaultModel: string,
  ) {}

  list(): Promise<ModelList> {
    if (this.cached && Date.now() - this.cached.at < CACHE_MS) return Promise.resolve(this.cached.list);
    this.loading ??= this.load()
      .then(
        (list) => {
          this.cached = { at: Date.now(), list };
          return list;
        },
        (error: unknown) => {
          if (this.cached) return this.cached.list;
          throw error;
        },
      )
      .finally(() => {
        this.loading = undefined;
      });
    return this.loading;
  }

  private async load(): Promise<ModelList> {
    const { inferenceUrl } = this;
    if (!inferenceUrl) throw new HttpError(503, 'models_unavailable', 'the gateway has no INFERENCE_URL');
    const getJson = async (path: string, method: 'GET' | 'POST' = 'GET') => {
      try {
        const response = await request(new URL(path, inferenceUrl), {
          method,
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
        if (response.statusCode !== 200) {
          await response.body.dump();
          throw new Error(`answered ${response.statusCode}`);
        }
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
        // The host's default (its serving.json); a host that does not say serves its newest.
        version: meta.parameters.default_version ?? (meta.versions[0] as string),
        labels: meta.parameters.labels,
        ...(meta.parameters.held_out_accuracy === undefined
          ? {}
          : { heldOutAccuracy: meta.parameters.held_out_accuracy }),
        isDefault: name === this.defaultModel,
      });
    }
    return { models };
  }
}
