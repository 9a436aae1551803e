import Koa from 'koa';
import type Router from '@koa/router';
import type { AppState, Services } from './context.js';
import { bodyReader, errorMapper, requestContext } from './middleware/request.js';
import { cors } from './middleware/cors.js';
import { adminRoutes } from './routes/admin/admin.js';
import { importRoutes } from './routes/admin/imports.js';
import { privacyRoutes } from './routes/admin/privacy.js';
import { reportRoutes } from './routes/admin/reports.js';
import { ADMIN_PREFIX } from './routes/admin/route.js';
import { healthRoutes } from './routes/health.js';
import { memberRoutes } from './routes/member/member.js';
import { posRoutes } from './routes/pos/pos.js';
import { WXPAY_NOTIFY_PREFIX, wxpayNotifyRoutes } from './routes/wxpay/notify.js';

/**
 * The routers, each behind the path prefix all its routes share, so a request is matched against
 * its own router's routes only (a till's scan does not walk the ~100 admin routes first).
 */
export function createApp(services: Services): Koa<AppState> {
  const app = new Koa<AppState>({ proxy: true });
  app.use(requestContext(services.logger));
  app.use(cors(services.config.JIFEN_CORS_ORIGINS));
  app.use(errorMapper());
  app.use(bodyReader());
  const mounts: Array<[prefix: string | null, routers: Router<AppState>[]]> = [
    [null, [healthRoutes(services)]],
    [ADMIN_PREFIX, [adminRoutes(services), reportRoutes(services), importRoutes(services), privacyRoutes(services)]],
    ['/api/pos', [posRoutes(services)]],
    [WXPAY_NOTIFY_PREFIX, [wxpayNotifyRoutes(services)]],
    ['/api/member', [memberRoutes(services)]],
  ];
  for (const [prefix, routers] of mounts) {
    for (const router of routers) {
      for (const mw of [router.routes(), router.allowedMethods()] as Koa.Middleware<AppState>[]) {
        app.use(prefix === null ? mw : underPrefix(prefix, mw));
      }
    }
  }
  return app;
}

/** The router's middleware for paths under `prefix` only; it still names its router (the OpenAPI document walks them). */
function underPrefix(prefix: string, mw: Koa.Middleware<AppState> & { router?: unknown }): Koa.Middleware<AppState> {
  const slash = `${prefix}/`;
  const guarded: Koa.Middleware<AppState> = (ctx, next) => (ctx.path === prefix || ctx.path.startsWith(slash) ? mw(ctx, next) : next());
  return Object.assign(guarded, { router: mw.router });
}
