/**
 * Paying a kiosk order inside the mini-program. `:orderId` is the order id, or the JFO1 code the
 * kiosk shows (URL-encoded), so the app can pass on whatever it scanned.
 */
import type Router from '@koa/router';
import { memberOrderView, orderIdFrom, payMemberOrder } from '../../../commands/member-orders.js';
import type { AppState, Services } from '../../context.js';
import { requireMember, sessionOf } from './auth.js';

export function orderRoutes(router: Router<AppState>, services: Services): void {
  const session = requireMember(services);

  router.get('/orders/:orderId', session, async (ctx) => {
    const deps = services.paymentDeps();
    ctx.body = await memberOrderView(deps, sessionOf(ctx), orderIdFrom(deps, String(ctx.params.orderId)));
  });

  router.post('/orders/:orderId/pay', session, async (ctx) => {
    const deps = services.paymentDeps();
    ctx.body = await payMemberOrder(deps, sessionOf(ctx), orderIdFrom(deps, String(ctx.params.orderId)));
  });
}
