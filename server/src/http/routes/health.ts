import Router from '@koa/router';
import { sql } from 'kysely';
import type { AppState, Services } from '../context.js';

export function healthRoutes(services: Services): Router<AppState> {
  const router = new Router<AppState>();
  router.get('/healthz', async (ctx) => {
    try {
      await sql`select 1`.execute(services.db.kysely);
      ctx.body = { ok: true, db: services.db.dialect };
    } catch {
      ctx.status = 503;
      ctx.body = { ok: false, db: services.db.dialect };
    }
  });
  router.get('/metrics', async (ctx) => {
    ctx.type = services.metrics.registry.contentType;
    ctx.body = await services.metrics.registry.metrics();
  });
  return router;
}
