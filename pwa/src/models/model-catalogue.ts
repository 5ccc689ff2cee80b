/**
 * The models the user can choose: those bundled in the app (they run on the device, offline too) and
 * those the inference host lists (`GET /api/models`; the service worker keeps the last answer).
 */
import { type ModelSummary, modelListSchema } from '../../../contracts/models.ts';
import { API_TIMEOUT_MS, withTimeout } from '../api/with-timeout.ts';
import { BUNDLED_MODELS_URL, type BundledModel, bundledModelIndexSchema } from './bundled-models.ts';

/** One entry of the model picker. */
export interface ModelChoice {
  readonly name: string;
  readonly displayName: string;
  /** The labels the user picks the true one from. */
  readonly labels: readonly string[];
  /** The bundled model that runs on the device; null when only the server has it. */
  readonly device: BundledModel | null;
  /** The version the server runs, when it listed this model. */
  readonly serverVersion: string | null;
  readonly isDefault: boolean;
}

/** The bundled models' index; empty (and logged) when it cannot be read. */
export async function loadBundledModels(): Promise<BundledModel[]> {
  try {
    const response = await fetch(BUNDLED_MODELS_URL);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return bundledModelIndexSchema.parse(await response.json()).models;
  } catch (error) {
    console.warn('models: no bundled models index; on-device inference is off', error);
    return [];
  }
}

/** The models the host serves, or null when it cannot be asked (offline with nothing cached). */
export async function loadHostModels(signal?: AbortSignal): Promise<ModelSummary[] | null> {
  try {
    const response = await fetch('/api/models', { signal: withTimeout(signal, API_TIMEOUT_MS) });
    if (!response.ok) return null;
    return modelListSchema.parse(await response.json()).models;
  } catch {
    return null;
  }
}

/** Bundled and host models as one list, by name; bundled ones first, in their index's order. */
export function mergeCatalogue(
  bundled: readonly BundledModel[],
  host: readonly ModelSummary[] | null,
): ModelChoice[] {
  const byName = new Map<string, ModelChoice>();
  for (const model of bundled) {
    byName.set(model.name, {
      name: model.name,
      displayName: model.displayName,
      labels: model.labels,
      device: model,
      serverVersion: null,
      isDefault: false,
    });
  }
  for (const summary of host ?? []) {
    const known = byName.get(summary.name);
    byName.set(summary.name, {
      name: summary.name,
      displayName: known?.displayName ?? summary.displayName,
      labels: known?.labels ?? summary.labels,
      device: known?.device ?? null,
      serverVersion: summary.version,
      isDefault: summary.isDefault,
    });
  }
  return [...byName.values()];
}

/** The model to preselect: the remembered one, else the host's default, else `digits`, else the first. */
export function pickModel(
  choices: readonly ModelChoice[],
  remembered: string | null,
): ModelChoice | undefined {
  return (
    choices.find((c) => c.name === remembered) ??
    choices.find((c) => c.isDefault) ??
    choices.find((c) => c.name === 'digits') ??
    choices[0]
  );
}

const REMEMBERED_MODEL_KEY = 'pictor.model';

/** The model the user chose last time, if storage allows. */
export function rememberedModel(): string | null {
  try {
    return localStorage.getItem(REMEMBERED_MODEL_KEY);
  } catch {
    return null;
  }
}

export function rememberModel(name: string): void {
  try {
    localStorage.setItem(REMEMBERED_MODEL_KEY, name);
  } catch {
    // Private mode or full storage: the choice lasts for this visit only.
  }
}
