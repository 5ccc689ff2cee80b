import { HttpExchange } from '../platform/http-exchange.ts';
import type { GatewayContext } from './gateway-context.ts';

/** `GET /api/models`: the models the inference host serves, for the app's model picker. */
export function registerModelRoutes({ app, models, onUnexpected }: GatewayContext): void {
  app.get('/api/models', (res) => {
    const guard = new HttpExchange(res);
    models.list().then(
      (list) => guard.json(200, list, { 'cache-control': 'max-age=60' }),
      (error: unknown) => guard.error(error, onUnexpected),
    );
  });
}
