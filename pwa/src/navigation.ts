import { useEffect, useState } from 'preact/hooks';

/** The app's pages, addressed by the URL's hash so that no router (and no server route) is needed. */
export type Route = 'classify' | 'history' | 'accuracy';

export const ROUTES: ReadonlyArray<{ readonly route: Route; readonly href: string; readonly title: string }> =
  [
    { route: 'classify', href: '#/', title: 'Classify' },
    { route: 'history', href: '#/history', title: 'History' },
    { route: 'accuracy', href: '#/accuracy', title: 'Accuracy' },
  ];

/** The route of a hash: `#/history` → history; anything unknown → classify. */
export function routeOf(hash: string): Route {
  const path = hash.replace(/^#\/?/, '').split(/[/?]/)[0];
  return path === 'history' || path === 'accuracy' ? path : 'classify';
}

/** The current route, following `hashchange` (links, back and forward buttons). */
export function useRoute(): Route {
  const [route, setRoute] = useState<Route>(() => routeOf(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(routeOf(location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

/** True while the browser believes it is online. */
export function useOnline(): boolean {
  const [online, setOnline] = useState(() => navigator.onLine);
  useEffect(() => {
    const update = () => setOnline(navigator.onLine);
    window.addEventListener('online', update);
    window.addEventListener('offline', update);
    return () => {
      window.removeEventListener('online', update);
      window.removeEventListener('offline', update);
    };
  }, []);
  return online;
}
