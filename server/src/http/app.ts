import Koa from 'koa';
import type { AppState, Services } from './context.js';
import { bodyReader, errorMapper, requestContext } from './middleware/request.js';
import { cors } from './middleware/cors.js';
import { adminRoutes } from './routes/admin/admin.js';
import { importRoutes } from './routes/admin/imports.js';
import { privacyRoutes } from './routes/admin/privacy.js';
import { reportRoutes } from './routes/admin/reports.js';
import { healthRoutes } from './routes/health.js';
import { memberRoutes } from './routes/member/member.js';
import { posRoutes } from './routes/pos/pos.js';
import { wxpayNotifyRoutes } from './routes/wxpay/notify.js';

export function createApp(services: Services): Koa<AppState> {
  const app = new Koa<AppState>({ proxy: true });
  app.use(requestContext(services.logger));
  app.use(cors(services.config.JIFEN_CORS_ORIGINS));
  app.use(errorMapper());
  app.use(bodyReader());
  for (const router of [
    healthRoutes(services),
    adminRoutes(services),
    reportRoutes(services),
    importRoutes(services),
    privacyRoutes(services),
    posRoutes(services),
    wxpayNotifyRoutes(services),
    memberRoutes(services),
  ]) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  return app;
}
