/**
 * CORS for the browser clients: the mini-program's H5 build and the kiosk in browser mode are
 * served from their own origins (3300, 3200 in the sandbox). Only the listed origins are answered;
 * the WeChat mini-program itself (weapp) does not use CORS.
 */
import type Koa from 'koa';
import type { AppState } from '../context.js';

export function cors(allowed: readonly string[]): Koa.Middleware<AppState> {
  const origins = new Set(allowed);
  return async (ctx, next) => {
    const origin = ctx.get('origin');
    const ok = origin !== '' && origins.has(origin) && (ctx.path.startsWith('/api/member') || ctx.path.startsWith('/api/pos'));
    if (ok) {
      ctx.set('Access-Control-Allow-Origin', origin);
      ctx.set('Vary', 'Origin');
      ctx.set('Access-Control-Expose-Headers', 'X-Request-Id, Idempotent-Replayed');
    }
    if (ctx.method === 'OPTIONS' && ctx.get('access-control-request-method')) {
      if (!ok) {
        ctx.status = 403;
        return;
      }
      ctx.set('Access-Control-Allow-Methods', 'GET, POST, DELETE, OPTIONS');
      ctx.set('Access-Control-Allow-Headers', 'Authorization, Content-Type, X-Request-Id');
      ctx.set('Access-Control-Max-Age', '600');
      ctx.status = 204;
      return;
    }
    await next();
  };
}
