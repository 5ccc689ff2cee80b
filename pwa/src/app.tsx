import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ROUTES, type Route, useOnline, useRoute } from './navigation.ts';
import { onItemChanged, pendingItems } from './store/item-store.ts';
import { AccuracyView } from './views/accuracy-view.tsx';
import { ClassifyView } from './views/classify-view.tsx';
import { HistoryView } from './views/history-view.tsx';

/** The app: a header, three pages (Classify, History, Accuracy) switched by the URL's hash. */
export function App(): JSX.Element {
  const route = useRoute();
  const online = useOnline();
  const waiting = usePendingCount();
  const main = useRef<HTMLElement>(null);
  const firstRoute = useRef<Route>(route);

  // After in-app navigation, move focus to the new page's heading so screen readers announce it.
  useEffect(() => {
    if (route === firstRoute.current) return;
    firstRoute.current = route;
    main.current?.querySelector<HTMLElement>('.view__heading')?.focus();
  }, [route]);

  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="app-header">
        <div class="app-header__inner">
          <h1 class="app-header__title">Pictor</h1>
          <nav class="nav" aria-label="Pages">
            {ROUTES.map((r) => (
              <a
                key={r.route}
                class="nav__link"
                href={r.href}
                aria-current={r.route === route ? 'page' : undefined}
                data-testid={`nav-${r.route}`}
              >
                {r.title}
                {r.route === 'history' && waiting > 0 && (
                  <span class="nav__badge" data-testid="pending-badge">
                    {waiting}
                    <span class="sr-only"> waiting to be sent</span>
                  </span>
                )}
              </a>
            ))}
          </nav>
        </div>
      </header>
      {!online && (
        <p class="offline-banner" role="status" data-testid="offline-banner">
          You're offline. Pictor reads images on this phone; uploads and labels are kept and sent when you're
          back online.
        </p>
      )}
      <main id="main" class="app" ref={main}>
        {route === 'classify' && <ClassifyView online={online} />}
        {route === 'history' && <HistoryView online={online} />}
        {route === 'accuracy' && <AccuracyView online={online} />}
      </main>
    </>
  );
}

/** How many items still wait to be sent, kept current as they change. */
function usePendingCount(): number {
  const [count, setCount] = useState(0);
  useEffect(() => {
    let cancelled = false;
    const load = () =>
      pendingItems().then(
        (items) => !cancelled && setCount(items.length),
        () => {},
      );
    void load();
    const unsubscribe = onItemChanged(() => void load());
    return () => {
      cancelled = true;
      unsubscribe();
    };
  }, []);
  return count;
}
