import type { JSX, TargetedDragEvent } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { askForLabelsEnabled, setAskForLabels } from '../ask-for-labels-setting.ts';
import type { ClassifyState } from '../classify-session.ts';
import { ErrorNotice } from '../components/error-notice.tsx';
import { ImagePreview } from '../components/image-preview.tsx';
import { LabelPicker } from '../components/label-picker.tsx';
import { LabelPromptNote } from '../components/label-prompt-note.tsx';
import { ModelDownloadOffer, ModelDownloadProgress } from '../components/model-download.tsx';
import { ModelPicker } from '../components/model-picker.tsx';
import { PhotoPicker } from '../components/photo-picker.tsx';
import { UploadStatus } from '../components/upload-status.tsx';
import { shownVerdict, VerdictCard } from '../components/verdict-card.tsx';
import { describeError, type UserMessage } from '../describe-error.ts';
import { formatPercent } from '../format-percent.ts';
import { type DownloadProgress, onDeviceDownload, warmUpDevice } from '../inference/device-classifier.ts';
import { agreeToDownload, shouldAskBeforeDownload } from '../inference/download-policy.ts';
import { labelPrompt, type PromptReason } from '../label-prompt.ts';
import type { ModelChoice } from '../models/model-catalogue.ts';
import { APP_UPDATED_EVENT } from '../service-worker-registration.ts';
import { whenIdle } from '../when-idle.ts';

/**
 * The pipeline and the model catalogue (zod, the contracts, IndexedDB, the worker client) load right
 * after the first paint, so the shell shows at once; by the time an image is chosen they are there.
 */
let sessionLoaded = false;
const loadSession = () =>
  import('../current-classification.ts').then((module) => {
    sessionLoaded = true;
    return module;
  });
const loadCatalogue = () => import('../models/model-catalogue.ts');

/** Choose or take a photo, read the on-device verdict, then the server's, and give the true label. */
export function ClassifyView({ online }: { readonly online: boolean }): JSX.Element {
  const [choices, setChoices] = useState<readonly ModelChoice[]>([]);
  const [selected, setSelected] = useState<ModelChoice | undefined>();
  const [state, setState] = useState<ClassifyState | null>(null);
  const [failure, setFailure] = useState<UserMessage | null>(null);
  const [dragging, setDragging] = useState(false);
  const [download, setDownload] = useState<DownloadProgress | null>(null);
  /** The person's setting: may the app ask for labels where it is unsure. */
  const [askEnabled, setAskEnabled] = useState(askForLabelsEnabled);
  /** Uploads whose prompt was dismissed: at most one prompt per upload. */
  const [dismissed, setDismissed] = useState<ReadonlySet<string>>(() => new Set());
  /** Save-Data or 2G: the model waits for the user's word; the server reads photos meanwhile. */
  const [askFirst, setAskFirst] = useState(shouldAskBeforeDownload);
  const askFirstRef = useRef(askFirst);
  askFirstRef.current = askFirst;
  const outcome = useRef<HTMLDivElement>(null);
  /** Subscribes this page to the classification on screen (idempotent); set on mount. */
  const followRef = useRef<() => Promise<void>>(() => Promise.resolve());
  const selectedRef = useRef<ModelChoice | undefined>(undefined);
  const choicesRef = useRef<readonly ModelChoice[]>([]);
  choicesRef.current = choices;
  selectedRef.current = selected;
  /** Settles with the preselected model once the bundled index is read: an early photo waits for it. */
  const firstChoice = useRef<Promise<ModelChoice | undefined>>(Promise.resolve(undefined));

  useEffect(() => {
    let cancelled = false;
    let bundled: Awaited<ReturnType<Awaited<ReturnType<typeof loadCatalogue>>['loadBundledModels']>> = [];
    let host: Awaited<ReturnType<Awaited<ReturnType<typeof loadCatalogue>>['loadHostModels']>> = null;
    let preselected: ModelChoice | undefined;
    const show = async () => {
      const catalogue = await loadCatalogue();
      const merged = catalogue.mergeCatalogue(bundled, host);
      const keep = merged.find((c) => c.name === selectedRef.current?.name);
      preselected = keep ?? catalogue.pickModel(merged, catalogue.rememberedModel());
      selectedRef.current = preselected;
      if (cancelled) return;
      setChoices(merged);
      setSelected(preselected);
    };
    firstChoice.current = (async () => {
      const catalogue = await loadCatalogue();
      bundled = await catalogue.loadBundledModels();
      // Bundled models first (instant, offline too), then whatever the host adds.
      await show();
      void catalogue.loadHostModels().then((models) => {
        host = models;
        return show();
      });
      return preselected;
    })();
    // A new build of the app took over (a promoted model, say): read its model index and move the
    // choice to its models. A classification already running keeps the model it was given.
    const onUpdate = () =>
      void loadCatalogue()
        .then(async (catalogue) => {
          bundled = await catalogue.loadBundledModels();
          await show();
        })
        .catch((error: unknown) => console.warn('models: could not read the updated model index', error));
    window.addEventListener(APP_UPDATED_EVENT, onUpdate);
    firstChoice.current.catch((error: unknown) => console.error('models: catalogue failed', error));
    // The classification on screen outlives this page: show where it got to, and follow it. On the
    // first visit there is none yet, and the pipeline's chunk loads once the page is idle.
    let unwatch: (() => void) | undefined;
    const follow = () =>
      loadSession().then(
        (current) => {
          if (!cancelled && !unwatch) unwatch = current.watchClassification(setState);
        },
        (error: unknown) => console.error('could not load the classifier', error),
      );
    followRef.current = follow;
    if (sessionLoaded) void follow();
    else whenIdle(() => void follow());
    return () => {
      cancelled = true;
      window.removeEventListener(APP_UPDATED_EVENT, onUpdate);
      unwatch?.();
    };
  }, []);

  // Load onnxruntime and the chosen model in the worker ahead of the first photo, once the page is idle.
  useEffect(() => {
    const model = selected?.device;
    if (!model || askFirst) return;
    let cancelled = false;
    whenIdle(() => {
      if (cancelled) return;
      warmUpDevice(model).then(
        () => {
          agreeToDownload();
          // Offline from now on: the service worker keeps the WASM and every bundled model.
          const urls = choicesRef.current.flatMap((c) => (c.device ? [c.device.modelUrl] : []));
          void import('../offline-files.ts')
            .then((files) => files.cacheForOffline(urls.length > 0 ? urls : [model.modelUrl]))
            .catch((error: unknown) => console.warn('could not keep the model for offline use', error));
        },
        (error: unknown) => console.warn('on-device model could not be loaded ahead', error),
      );
    });
    return () => {
      cancelled = true;
    };
  }, [selected?.device, askFirst]);

  useEffect(() => onDeviceDownload(setDownload), []);

  // Once a verdict is there, bring it and the label buttons into view (one tap, no scrolling).
  const verdictShown = Boolean(state && !state.fatal && shownVerdict(state.device, state.server));
  useEffect(() => {
    if (verdictShown) outcome.current?.scrollIntoView({ block: 'start', behavior: 'smooth' });
  }, [verdictShown]);

  const classify = useCallback(async (file: Blob) => {
    const chosenAt = performance.now();
    const model = selectedRef.current ?? (await firstChoice.current.catch(() => undefined));
    setFailure(null);
    try {
      const current = await loadSession();
      await followRef.current();
      if (!model) {
        current.clearClassification();
        setFailure({
          text: 'No model is available. Reload the app and try again.',
          detail: 'no model selected',
        });
        return;
      }
      // Asked first and not agreed yet: the server alone reads it.
      await current.classifyImage(file, askFirstRef.current ? { ...model, device: null } : model, chosenAt);
    } catch (error) {
      console.error('classification failed', error);
      setFailure(describeError(error));
    }
  }, []);

  // Paste an image anywhere on this page.
  useEffect(() => {
    const onPaste = (event: ClipboardEvent) => {
      const file = [...(event.clipboardData?.files ?? [])].find((f) => f.type.startsWith('image/'));
      if (!file) return;
      event.preventDefault();
      void classify(file);
    };
    document.addEventListener('paste', onPaste);
    return () => document.removeEventListener('paste', onPaste);
  }, [classify]);

  const onDrop = (event: TargetedDragEvent<HTMLElement>) => {
    event.preventDefault();
    setDragging(false);
    const file = event.dataTransfer?.files?.[0];
    if (file) void classify(file);
  };

  const choose = (name: string) => {
    void loadCatalogue().then(({ rememberModel }) => rememberModel(name));
    setSelected(choices.find((c) => c.name === name));
  };

  const shown = state && !state.fatal ? shownVerdict(state.device, state.server) : null;
  const fatal = state?.fatal ?? failure;
  const prompt: PromptReason | null =
    state && shown && state.saved
      ? labelPrompt({
          server: state.server.status === 'done' ? state.server.prediction : null,
          deviceLabel: state.device.status === 'done' ? state.device.verdict.label : undefined,
          enabled: askEnabled,
          settled: state.label !== undefined || dismissed.has(state.itemId),
        })
      : null;
  const turnAsking = (enabled: boolean) => {
    setAskForLabels(enabled);
    setAskEnabled(enabled);
  };
  return (
    <section
      class={dragging ? 'view view--classify view--dragging' : 'view view--classify'}
      aria-labelledby="classify-heading"
      onDragOver={(event) => {
        event.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={onDrop}
    >
      <h2 id="classify-heading" class="view__heading" tabIndex={-1}>
        Classify
      </h2>
      <ModelPicker choices={choices} selected={selected} onSelect={choose} />
      {state?.previewUrl && <ImagePreview src={state.previewUrl} />}
      <p class="sr-only" aria-live="polite" data-testid="announcer">
        {announcement(state)}
      </p>
      {askFirst && selected?.device && (
        <ModelDownloadOffer
          bytes={__ORT_WASM_BYTES__ + (selected.device.bytes ?? 0)}
          onAccept={() => {
            agreeToDownload();
            setAskFirst(false);
          }}
        />
      )}
      <div class="outcome" ref={outcome}>
        {fatal && <ErrorNotice message={fatal} />}
        {state && !state.fatal && state.device.status === 'running' && (
          <p class="status status__text" data-testid="device-running">
            <span class="spinner" aria-hidden="true" />
            Reading it on this device…
          </p>
        )}
        {state &&
          !state.fatal &&
          state.device.status === 'running' &&
          download &&
          download.loaded < download.total && <ModelDownloadProgress progress={download} />}
        {state && !state.fatal && state.device.status === 'failed' && (
          <p class="notice" data-testid="device-failed">
            {state.device.message.text}
          </p>
        )}
        {state && !state.fatal && (
          <VerdictCard
            device={state.device}
            server={state.server}
            subject={state.model.device?.outOfDistribution?.subject}
          />
        )}
        {state && !state.fatal && <UploadStatus server={state.server} online={online} />}
        {state && shown && prompt && (
          <LabelPromptNote
            reason={prompt}
            onDismiss={() => setDismissed((before) => new Set(before).add(state.itemId))}
            onTurnOff={() => turnAsking(false)}
          />
        )}
        {state && shown && (
          <LabelPicker
            labels={state.model.labels}
            suggested={shown.label}
            chosen={state.label}
            disabled={!state.saved}
            online={online}
            onChoose={(label) => {
              // A label given while asked, or changed after answering a prompt, stays an asked one.
              const source = prompt !== null || state.label?.source === 'asked' ? 'asked' : 'volunteered';
              void loadSession().then((current) => current.chooseLabel(label, source));
            }}
          />
        )}
        {state && shown && (
          <label class="label-prompt__setting">
            <input
              type="checkbox"
              data-testid="ask-for-labels"
              checked={askEnabled}
              onChange={(event) => turnAsking(event.currentTarget.checked)}
            />{' '}
            Ask me for the right answer when the model is unsure
          </label>
        )}
      </div>
      <PhotoPicker prominent={state === null && failure === null} onFile={(file) => void classify(file)} />
    </section>
  );
}

/** What a screen reader hears as the verdicts arrive. */
function announcement(state: ClassifyState | null): string {
  if (!state) return '';
  if (state.fatal) return state.fatal.text;
  const shown = shownVerdict(state.device, state.server);
  if (!shown) return '';
  const sure = `${formatPercent(shown.confidence)} sure`;
  switch (shown.agreement) {
    case 'pending':
      return `On this device: it looks like ${shown.label}, ${sure}.`;
    case 'agree':
      return `The server agrees: ${shown.label}, ${sure}.`;
    case 'disagree':
      return `The server disagrees: it reads ${shown.label}, ${sure}. This phone read it differently.`;
    case 'server-only':
      return `The server says: ${shown.label}, ${sure}.`;
  }
}
