/** The kiosk's API: orders (created, paid, watched) and refunds. */
import Router from '@koa/router';
import { CreatePosOrderRequest, CreateRefundRequest, IdParam, JifenError } from '@jifen/shared';
import { createPosOrder, presentOrder } from '../../../commands/orders.js';
import { requestRefund } from '../../../commands/refunds.js';
import { findOrderById } from '../../../repositories/order.repository.js';
import type { AppContext, AppState, Services, TerminalPrincipal } from '../../context.js';
import { validate } from '../../middleware/request.js';
import { requireTerminal } from '../../middleware/terminal.js';

async function ownOrder(services: Services, ctx: AppContext) {
  const id = validate(IdParam, ctx.params.orderId);
  const order = await findOrderById(services.db.kysely, id);
  const terminal = ctx.state.terminal as TerminalPrincipal;
  // A till sees the orders of its own store only.
  if (!order || order.store_id !== terminal.storeId) throw new JifenError('ORDER_NOT_FOUND', `order ${id} not found`);
  return order;
}

export function posRoutes(services: Services): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/api/pos' });
  router.use(requireTerminal(services));

  router.post('/orders', async (ctx) => {
    const body = validate(CreatePosOrderRequest, ctx.request.body);
    ctx.body = await createPosOrder(services.paymentDeps(), ctx.state.terminal as TerminalPrincipal, body);
    ctx.status = 201;
  });

  router.get('/orders/:orderId', async (ctx) => {
    ctx.body = presentOrder(await ownOrder(services, ctx));
  });

  router.post('/orders/:orderId/refunds', async (ctx) => {
    const order = await ownOrder(services, ctx);
    const body = validate(CreateRefundRequest, ctx.request.body);
    ctx.body = await requestRefund(services.paymentDeps(), {
      orderId: order.id,
      amountFen: body.amountFen,
      outRefundNo: body.outRefundNo,
      reason: body.reason,
      actor: `terminal:${order.terminal_id ?? ''}`,
    });
    ctx.status = 201;
  });

  return router;
}
