import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Verdict } from './api/verdict-channel.ts';
import type { ClassifyProgress } from './classify-flow.ts';
import { ErrorNotice } from './components/error-notice.tsx';
import { ImagePreview } from './components/image-preview.tsx';
import { PhotoPicker } from './components/photo-picker.tsx';
import { ProgressStatus } from './components/progress-status.tsx';
import { VerdictCard } from './components/verdict-card.tsx';
import { describeError, type UserMessage } from './describe-error.ts';
import { isAbortError } from './errors.ts';

/**
 * The pipeline (with zod and the contracts, most of the JavaScript) loads after the first paint,
 * so the shell shows at once; by the time a photo is chosen it is usually there.
 */
const loadClassifyFlow = () => import('./classify-flow.ts');

type Screen =
  | { readonly kind: 'idle' }
  | { readonly kind: 'working'; readonly progress: ClassifyProgress }
  | { readonly kind: 'done'; readonly verdict: Verdict; readonly elapsedMs: number }
  | { readonly kind: 'failed'; readonly message: UserMessage };

/** The one page: choose a photo, watch it upload, read the verdict, go again. */
export function App(): JSX.Element {
  const [screen, setScreen] = useState<Screen>({ kind: 'idle' });
  const [preview, setPreview] = useState<string | null>(null);
  const run = useRef<AbortController | null>(null);

  // The preview's object URL lives as long as it is shown.
  useEffect(() => () => void (preview && URL.revokeObjectURL(preview)), [preview]);
  useEffect(() => {
    // A failure here is reported when a photo is chosen and the import is retried.
    loadClassifyFlow().catch(() => {});
    return () => run.current?.abort();
  }, []);

  const classify = async (file: File) => {
    run.current?.abort();
    const controller = new AbortController();
    run.current = controller;
    const startedAt = performance.now();
    const { signal } = controller;
    setPreview(null);
    let previewShown = false;
    const showPreview = () => {
      if (previewShown) return;
      previewShown = true;
      setPreview(URL.createObjectURL(file));
    };
    try {
      const { classifyImage } = await loadClassifyFlow();
      const verdict = await classifyImage(file, {
        signal,
        onProgress: (progress) => {
          if (signal.aborted) return;
          // Past the check, the file is an image worth showing.
          if (progress.step !== 'checking') showPreview();
          setScreen({ kind: 'working', progress });
        },
      });
      if (!signal.aborted) setScreen({ kind: 'done', verdict, elapsedMs: performance.now() - startedAt });
    } catch (error) {
      if (signal.aborted || isAbortError(error)) return;
      console.error('classification failed', error);
      setScreen({ kind: 'failed', message: describeError(error) });
    }
  };

  return (
    <main class="app">
      <header class="app__header">
        <h1 class="app__title">Pictor</h1>
        <p class="app__tagline">Photograph a handwritten digit and Pictor will tell you which one it is.</p>
      </header>
      {preview && <ImagePreview src={preview} />}
      <section class="outcome" aria-live="polite" aria-label="Result">
        {screen.kind === 'working' && <ProgressStatus progress={screen.progress} />}
        {screen.kind === 'done' && <VerdictCard verdict={screen.verdict} elapsedMs={screen.elapsedMs} />}
        {screen.kind === 'failed' && <ErrorNotice message={screen.message} />}
      </section>
      <PhotoPicker
        prominent={screen.kind === 'idle'}
        label={screen.kind === 'idle' ? 'Take a photo or choose an image' : 'Classify another photo'}
        onFile={(file) => void classify(file)}
      />
    </main>
  );
}
