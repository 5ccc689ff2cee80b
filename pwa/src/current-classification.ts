import type { LabelSource } from '../../contracts/labels.ts';
/**
 * The classification on screen belongs to the app, not to the Classify page: leaving the page (History,
 * Accuracy) and coming back shows it where it got to, and its pipeline (store, upload, verdicts) runs on
 * meanwhile. Choosing another image replaces it; the one replaced still finishes in the background.
 */
import { ClassifySession, type ClassifyState } from './classify-session.ts';
import type { ModelChoice } from './models/model-catalogue.ts';

type Listener = (state: ClassifyState | null) => void;

let session: ClassifySession | null = null;
const listeners = new Set<Listener>();

function emit(state: ClassifyState | null): void {
  for (const listener of listeners) listener(state);
}

/** The classification on screen (null before the first image), and every change to it. */
export function watchClassification(listener: Listener): () => void {
  listeners.add(listener);
  listener(session?.state ?? null);
  return () => listeners.delete(listener);
}

/** Starts classifying `file`, replacing what is on screen; resolves when its pipeline has run. */
export async function classifyImage(file: Blob, model: ModelChoice, chosenAt: number): Promise<void> {
  session?.dispose();
  const next = new ClassifySession(file, model, chosenAt, (state) => {
    if (session === next) emit(state);
  });
  session = next;
  emit(next.state);
  await next.start();
}

/** Clears the screen (a failure before any image could be read). */
export function clearClassification(): void {
  session?.dispose();
  session = null;
  emit(null);
}

/** The user tapped the true label of the image on screen. */
export function chooseLabel(label: string, source?: LabelSource): Promise<void> {
  return session?.chooseLabel(label, source) ?? Promise.resolve();
}
