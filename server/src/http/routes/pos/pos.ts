/**
 * The kiosk's API, every call behind the terminal token: who the till is, cashier sign-in and shift
 * reports, the store catalogue, members and the points preview, orders (created, watched, cancelled,
 * found by receipt, refunded) and vouchers. Shapes: shared/src/contracts/pos.ts.
 */
import Router from '@koa/router';
import {
  CloseShiftRequest,
  CreatePosOrderRequest,
  CreateRefundRequest,
  IdParam,
  MemberQuerySchema,
  PosPreviewRequest,
  PosSignInRequest,
  ProductCodeParam,
  ReceiptCodeParam,
  RedeemVoucherRequest,
  SearchProductsQuery,
  ShiftIdSchema,
} from '@jifen/shared';
import { createPosOrder, presentOrder } from '../../../commands/orders.js';
import { lookupProduct, quickKeys, searchProducts } from '../../../commands/pos-catalogue.js';
import { lookupMemberAtTill, previewAtTill } from '../../../commands/pos-members.js';
import { cancelPosOrder, findReceiptOrder, storeOrder } from '../../../commands/pos-orders.js';
import { closeShift, ownShift, shiftForSale, shiftReport, signInCashier, terminalInfo, tillContext } from '../../../commands/pos-shifts.js';
import { redeemVoucher } from '../../../commands/member-rewards.js';
import { requestRefund } from '../../../commands/refunds.js';
import type { AppContext, AppState, Services, TerminalPrincipal } from '../../context.js';
import { validate } from '../../middleware/request.js';
import { requireTerminal } from '../../middleware/terminal.js';

function terminalOf(ctx: AppContext): TerminalPrincipal {
  return ctx.state.terminal as TerminalPrincipal;
}

export function posRoutes(services: Services): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/api/pos' });
  router.use(requireTerminal(services));
  const shiftDeps = { db: services.db, now: services.now, logger: services.logger };

  router.get('/terminal', async (ctx) => {
    ctx.body = await terminalInfo(services.db, terminalOf(ctx), services.now());
  });

  // ── Cashiers and shifts ──

  router.post('/staff/session', async (ctx) => {
    const body = validate(PosSignInRequest, ctx.request.body);
    ctx.body = await signInCashier(shiftDeps, terminalOf(ctx), body);
    ctx.status = 201;
  });

  router.get('/shifts/:shiftId/report', async (ctx) => {
    const shift = await ownShift(services.db, terminalOf(ctx), validate(ShiftIdSchema, ctx.params.shiftId));
    ctx.body = await shiftReport(services.db, shift);
  });

  router.post('/shifts/:shiftId/close', async (ctx) => {
    const shiftId = validate(ShiftIdSchema, ctx.params.shiftId);
    const body = validate(CloseShiftRequest, ctx.request.body);
    ctx.body = await closeShift(shiftDeps, terminalOf(ctx), shiftId, body.countedCashFen);
  });

  // ── The store catalogue ──

  router.get('/products/:barcode', async (ctx) => {
    const till = await tillContext(services.db, terminalOf(ctx));
    ctx.body = await lookupProduct(services.db, till, validate(ProductCodeParam, ctx.params.barcode));
  });

  router.get('/products', async (ctx) => {
    const query = validate(SearchProductsQuery, ctx.query);
    const till = await tillContext(services.db, terminalOf(ctx));
    ctx.body = { products: await searchProducts(services.db, till, query.q, query.limit) };
  });

  router.get('/quick-keys', async (ctx) => {
    const till = await tillContext(services.db, terminalOf(ctx));
    ctx.body = { products: await quickKeys(services.db, till) };
  });

  // ── Members and the points preview (POST: the phone stays out of URLs and access logs) ──

  router.post('/members/lookup', async (ctx) => {
    const query = validate(MemberQuerySchema, ctx.request.body);
    ctx.body = await lookupMemberAtTill(services.paymentDeps(), terminalOf(ctx), query);
  });

  router.post('/preview', async (ctx) => {
    const body = validate(PosPreviewRequest, ctx.request.body);
    ctx.body = await previewAtTill(services.paymentDeps(), terminalOf(ctx), body);
  });

  // ── Orders ──

  router.post('/orders', async (ctx) => {
    const body = validate(CreatePosOrderRequest, ctx.request.body);
    ctx.body = await createPosOrder(services.paymentDeps(), terminalOf(ctx), body);
    ctx.status = 201;
  });

  router.get('/orders/:orderId', async (ctx) => {
    ctx.body = presentOrder(await storeOrder(services.paymentDeps(), terminalOf(ctx), validate(IdParam, ctx.params.orderId)));
  });

  router.post('/orders/:orderId/cancel', async (ctx) => {
    ctx.body = await cancelPosOrder(services.paymentDeps(), terminalOf(ctx), validate(IdParam, ctx.params.orderId));
  });

  router.post('/orders/:orderId/refunds', async (ctx) => {
    const deps = services.paymentDeps();
    const order = await storeOrder(deps, terminalOf(ctx), validate(IdParam, ctx.params.orderId));
    const body = validate(CreateRefundRequest, ctx.request.body);
    const shiftId = await shiftForSale(shiftDeps, terminalOf(ctx), body.shiftId, false);
    ctx.body = await requestRefund(deps, {
      orderId: order.id,
      amountFen: body.amountFen,
      outRefundNo: body.outRefundNo,
      reason: body.reason,
      lines: body.lines,
      shiftId,
      actor: `terminal:${terminalOf(ctx).terminalId}`,
    });
    ctx.status = 201;
  });

  // Receipts are not under /orders/: GET /orders/:orderId would take the code for an id.
  router.get('/receipts/:code', async (ctx) => {
    const code = validate(ReceiptCodeParam, ctx.params.code);
    ctx.body = await findReceiptOrder(services.paymentDeps(), terminalOf(ctx), code);
  });

  router.post('/vouchers/redeem', async (ctx) => {
    const body = validate(RedeemVoucherRequest, ctx.request.body);
    ctx.body = await redeemVoucher({ db: services.db, codes: services.codes, now: services.now }, body.code, terminalOf(ctx));
  });

  return router;
}
