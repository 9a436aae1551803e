/**
 * setupPos(): selling, on the main side. The UI sends a finished basket and a payment; this module
 * talks to the server, falls back to the offline queue for cash, watches a WeChat payment until it is
 * paid, prints the receipt once (jobId = the sale), opens the drawer for cash, and keeps the till's log.
 *
 * Offline rules (pos-hardware.md, "Offline selling"): cash sales go on and are journaled before the
 * receipt prints or the drawer opens; WeChat payments and spending points need the server and are
 * refused (OFFLINE_WECHAT, OFFLINE_POINTS) so the cashier can ask for cash instead. A payment-code request
 * that timed out may have charged the shopper: PAYMENT_UNKNOWN, and the UI retries the same sale (same
 * clientOrderId), which the server answers with the order it made, if it made one.
 */
import type { CheckoutRequest, DrawerResultView, ReceiptOutput, RefundKioskRequest, RefundOutcome, SaleOutcome } from '../ipc-contract.js';
import { classifyScan } from './devices/scan-codes.js';
import { KioskError } from '../shared/kiosk-error.js';
import { pointsToFen, totalFen } from '../shared/money.js';
import type {
  CreateOrderRequest,
  MemberQuery,
  MemberRef,
  MemberView,
  OrderDetail,
  OrderLineInput,
  OrderView,
  PosApi,
  PosPaymentMethod,
  PreviewRequest,
  Product,
} from '../shared/pos-api.js';
import { isPosApiError, PosApiError } from '../shared/pos-api.js';
import type { OfflineQueue } from '../host/offline-queue.js';
import type { ConfigStore } from './config.js';
import type { ChannelRegistrar } from './ipc.js';
import type { PrinterModule } from './printer.js';
import { fromJsonReceipt } from './printer.js';
import type { ProductCache } from './product-cache.js';
import { refundSlip, saleReceipt } from './receipts.js';
import type { ReceiptContext } from './receipts.js';
import type { SalesLog } from './sales-log.js';
import type { ActiveSession, ShiftModule } from './shift.js';

export interface PosModuleDeps {
  config: ConfigStore;
  api: () => PosApi | null;
  queue: OfflineQueue;
  printer: PrinterModule;
  shift: ShiftModule;
  salesLog: SalesLog;
  products: ProductCache;
  /** How often a WeChat payment is checked while the shopper pays. Default WATCH_MS. */
  watchMs?: number;
  /** Stop checking after this long (the server closes unpaid orders after 15 minutes). Default 16 min. */
  watchForMs?: number;
  now?: () => Date;
  log?: (line: string) => void;
}

type Completed = Extract<SaleOutcome, { state: 'completed' }>;

interface OpenSale {
  request: CreateOrderRequest;
  member: MemberView | null;
  session: ActiveSession;
  order: OrderView;
  startedAt: number;
  timer: ReturnType<typeof setInterval> | null;
  completing: Promise<SaleOutcome> | null;
}

const MAX_LINES = 200;

/**
 * The server pushes nothing about an order (it has no event stream for one): while a QR is shown the
 * kiosk asks `GET /api/pos/orders/:id` this often, so a paid order's receipt starts printing within
 * this interval plus one round trip (`pnpm kiosk:bench-receipt` measures it). One small indexed read per
 * interval per till showing a QR, only while the shopper pays.
 */
export const WATCH_MS = 200;

export interface PosModule {
  /** Stops the payment watchers. */
  close(): void;
}

export function setupPos(registrar: ChannelRegistrar, deps: PosModuleDeps): PosModule {
  const now = deps.now ?? (() => new Date());
  const log = deps.log ?? (() => undefined);
  const watchMs = deps.watchMs ?? WATCH_MS;
  const watchForMs = deps.watchForMs ?? 16 * 60_000;
  const completed = new Map<string, Completed>();
  const open = new Map<string, OpenSale>();

  const api = (): PosApi => {
    const a = deps.api();
    if (!a) throw new KioskError('NOT_CONFIGURED', 'set the server URL and terminal token first');
    return a;
  };

  /** Runs a server call, keeping the online/offline state (and the shift) current. */
  const online = async <T>(call: (a: PosApi) => Promise<T>): Promise<T> => {
    try {
      const result = await call(api());
      deps.queue.reportOnline();
      return result;
    } catch (err) {
      if (isPosApiError(err)) {
        if (err.unreachable) deps.queue.reportUnreachable(err.message);
        else deps.queue.reportOnline();
        const shift = deps.shift.current();
        if (err.code === 'SHIFT_CLOSED' && shift) deps.shift.closedElsewhere(shift.view.shift.shiftId);
      }
      throw err;
    }
  };

  const receiptContext = (s: ActiveSession): ReceiptContext => ({
    store: s.view.store,
    terminalLabel: s.view.terminalLabel,
    cashierName: s.view.staff.name,
  });

  const complete = async (input: {
    session: ActiveSession;
    request: CreateOrderRequest;
    order: OrderView | null;
    member: MemberView | null;
    tenderedFen: number | null;
    deviceTimeAt: Date | null;
  }): Promise<Completed> => {
    const { session, request, order, member } = input;
    const method = request.payment.method;
    const serverTime = order?.placedAt ? new Date(order.placedAt) : (deps.api()?.serverNow() ?? null);
    const time = input.deviceTimeAt ?? serverTime ?? now();
    const deviceTime = input.deviceTimeAt !== null || serverTime === null;
    const receipt = saleReceipt({
      ctx: receiptContext(session),
      request,
      order,
      member,
      time,
      deviceTime,
      method,
      tenderedFen: input.tenderedFen,
    });
    const output = await deps.printer.printReceipt(`sale:${request.clientOrderId}`, fromJsonReceipt(receipt));
    const drawer: DrawerResultView | null = method === 'cash' ? await deps.printer.openDrawer() : null;
    const amountFen = totalFen(request.lines);
    const payableFen = order?.payableFen ?? amountFen;
    const changeFen = method === 'cash' && input.tenderedFen !== null ? input.tenderedFen - payableFen : null;
    const outcome: Completed = {
      state: 'completed',
      clientOrderId: request.clientOrderId,
      order,
      queued: order === null,
      time: time.toISOString(),
      deviceTime,
      payableFen,
      changeFen,
      receipt: output,
      drawer,
    };
    completed.set(request.clientOrderId, outcome);
    await deps.salesLog.add({
      type: 'sale',
      clientOrderId: request.clientOrderId,
      at: time.toISOString(),
      deviceTime,
      queued: order === null,
      shiftId: session.view.shift.shiftId,
      staffId: session.view.staff.id,
      method,
      order,
      request,
      amountFen,
      payableFen,
      pointsPaid: order?.pointsPaid ?? 0,
      pointsFen: amountFen - payableFen,
      tenderedFen: input.tenderedFen,
      changeFen,
      receipt,
    });
    return outcome;
  };

  const stopWatching = (sale: OpenSale): void => {
    if (sale.timer) clearInterval(sale.timer);
    sale.timer = null;
  };

  /** The open sale's state from the server; completes (prints) it once when paid. */
  const refresh = (sale: OpenSale, known?: OrderView): Promise<SaleOutcome> => {
    if (sale.completing) return sale.completing;
    const id = sale.request.clientOrderId;
    const run = (async (): Promise<SaleOutcome> => {
      const order = known ?? (await online((a) => a.orderStatus(sale.order.orderId)));
      sale.order = { ...sale.order, ...order };
      if (order.status === 'pending') return { state: 'awaiting_payment', clientOrderId: id, order: sale.order, qrSvg: null };
      stopWatching(sale);
      open.delete(id);
      if (order.status === 'closed') return { state: 'closed', clientOrderId: id, order: sale.order };
      return complete({
        session: sale.session,
        request: sale.request,
        order: sale.order,
        member: sale.member,
        tenderedFen: null,
        deviceTimeAt: null,
      });
    })();
    sale.completing = run;
    return run.finally(() => {
      sale.completing = null;
    });
  };

  const watch = (sale: OpenSale): void => {
    sale.timer = setInterval(() => {
      if (Date.now() - sale.startedAt > watchForMs) {
        stopWatching(sale);
        return;
      }
      if (sale.completing) return;
      refresh(sale).then(
        (outcome) => {
          if (outcome.state !== 'awaiting_payment') registrar.emit('sale:onUpdate', outcome);
        },
        (err: unknown) => {
          if (!isPosApiError(err)) log(`watching ${sale.request.clientOrderId}: ${String(err)}`);
        },
      );
    }, watchMs);
    sale.timer.unref?.();
  };

  registrar.handle('pos:checkout', async (req: CheckoutRequest): Promise<SaleOutcome> => {
    const session = deps.shift.require();
    const clientOrderId = checkClientOrderId(req?.clientOrderId);
    const done = completed.get(clientOrderId);
    if (done) return done;
    const pending = open.get(clientOrderId);
    if (pending) return refresh(pending);
    const logged = deps.salesLog.sale(clientOrderId);
    if (logged) {
      // Asked again after a restart: the same receipt job (never printed twice), no drawer.
      const receipt = await deps.printer.printReceipt(`sale:${clientOrderId}`, fromJsonReceipt(logged.receipt));
      return {
        state: 'completed',
        clientOrderId,
        order: logged.order,
        queued: logged.queued,
        time: logged.at,
        deviceTime: logged.deviceTime,
        payableFen: logged.payableFen,
        changeFen: logged.changeFen,
        receipt,
        drawer: null,
      };
    }

    const lines = checkLines(req.lines);
    const amountFen = totalFen(lines);
    if (amountFen <= 0) throw new KioskError('INVALID_INPUT', 'the sale total must be positive');
    const member = req.member ? checkMember(req.member.view) : null;
    const memberQuery = req.member ? checkMemberQuery(req.member.query) : null;
    const redeemPoints = req.redeemPoints ?? 0;
    if (!Number.isSafeInteger(redeemPoints) || redeemPoints < 0) throw new KioskError('INVALID_INPUT', 'points are a non-negative integer');
    if (redeemPoints > 0 && !member) throw new KioskError('INVALID_INPUT', 'paying with points needs a member');
    if (redeemPoints > 0 && member?.unverified)
      throw new KioskError('OFFLINE_POINTS', 'the member could not be looked up: points cannot be spent');

    const payment = req.payment;
    const method: PosPaymentMethod = payment?.method;
    if (method !== 'cash' && method !== 'wechat_code' && method !== 'wechat_native')
      throw new KioskError('INVALID_INPUT', 'unknown payment method');
    let tenderedFen: number | null = null;
    if (payment.method === 'cash') {
      tenderedFen = payment.tenderedFen;
      if (!Number.isSafeInteger(tenderedFen) || tenderedFen < 0) throw new KioskError('INVALID_INPUT', 'tendered is integer fen');
      const program = session.view.program;
      if (redeemPoints > 0 && !program) throw new KioskError('INVALID_INPUT', 'the points program is unknown: points cannot be spent');
      const due = amountFen - (program ? pointsToFen(redeemPoints, program.pointValueFen) : 0);
      // The server settles a cash order the moment it is created: the money must be in hand first.
      if (tenderedFen < due) throw new KioskError('TENDER_INSUFFICIENT', `tendered ${tenderedFen} < due ${due}`);
    }
    if (payment.method === 'wechat_code') {
      const kind = classifyScan(payment.authCode ?? '').kind;
      if (kind !== 'wechat_pay_code') throw new KioskError('INVALID_INPUT', 'not a WeChat payment code');
    }

    const memberRef: MemberRef | undefined = member?.ref && !member.unverified ? { ref: member.ref } : (memberQuery ?? undefined);
    const request: CreateOrderRequest = {
      clientOrderId,
      lines,
      ...(memberRef ? { member: memberRef } : {}),
      ...(redeemPoints > 0 ? { redeemPoints } : {}),
      payment: payment.method === 'wechat_code' ? { method: 'wechat_code', authCode: payment.authCode } : { method: payment.method },
      shiftId: session.view.shift.shiftId,
    };

    const offlineSale = async (): Promise<Completed> => {
      if (method !== 'cash') throw new KioskError('OFFLINE_WECHAT', 'WeChat Pay needs the server');
      if (redeemPoints > 0) throw new KioskError('OFFLINE_POINTS', 'spending points needs the server');
      const at = now();
      // The journal keeps what the member typed or scanned (a ref is till-scoped and short-lived).
      const queued: CreateOrderRequest = { ...request };
      if (memberQuery) queued.member = memberQuery;
      await deps.queue.enqueue({
        clientOrderId,
        deviceTime: at.toISOString(),
        request: queued,
        staffId: session.view.staff.id,
        shiftId: session.view.shift.shiftId,
        amountFen,
        tenderedFen: tenderedFen ?? amountFen,
      });
      log(`sale ${clientOrderId} journaled offline (${deps.queue.pending().length} waiting)`);
      return complete({ session, request: queued, order: null, member, tenderedFen, deviceTimeAt: at });
    };

    // Known offline: a plain cash sale goes to the journal at once (no waiting for a timeout). Anything
    // that needs the server still asks it (it may be back; and a PAYMENT_UNKNOWN retry must reach it).
    if (!deps.queue.isOnline() && method === 'cash' && redeemPoints === 0) return offlineSale();
    let order: OrderView;
    try {
      order = await online((a) => a.createOrder(request));
    } catch (err) {
      if (!(err instanceof PosApiError) || !err.unreachable) throw err;
      if (method === 'wechat_code' && err.code !== 'NETWORK') {
        throw new KioskError('PAYMENT_UNKNOWN', 'no answer to a payment-code order: the shopper may have paid; retry this sale');
      }
      return offlineSale();
    }
    if (order.status === 'paid') {
      return complete({ session, request, order, member, tenderedFen, deviceTimeAt: null });
    }
    if (order.status === 'pending') {
      const sale: OpenSale = { request, member, session, order, startedAt: Date.now(), timer: null, completing: null };
      open.set(clientOrderId, sale);
      watch(sale);
      const qrSvg = order.codeUrl ? deps.printer.qrSvg(order.codeUrl) : null;
      return { state: 'awaiting_payment', clientOrderId, order, qrSvg };
    }
    return { state: 'closed', clientOrderId, order };
  });

  registrar.handle('pos:saleStatus', async (clientOrderId) => {
    const done = completed.get(clientOrderId);
    if (done) return done;
    const sale = open.get(clientOrderId);
    if (!sale) throw new KioskError('UNKNOWN_SALE', `no sale ${clientOrderId}`);
    return refresh(sale);
  });

  registrar.handle('pos:cancelSale', async (clientOrderId) => {
    const done = completed.get(clientOrderId);
    if (done) return done;
    const sale = open.get(clientOrderId);
    if (!sale) throw new KioskError('UNKNOWN_SALE', `no sale ${clientOrderId}`);
    stopWatching(sale);
    try {
      const order = await online((a) => a.cancelOrder(sale.order.orderId));
      return await refresh(sale, order);
    } catch (err) {
      // Paid meanwhile: complete it (the shopper's money is in).
      if (isPosApiError(err) && err.code === 'ORDER_NOT_PAYABLE') return refresh(sale);
      watch(sale);
      throw err;
    }
  });

  registrar.handle('pos:reprint', async (clientOrderId): Promise<ReceiptOutput> => {
    const logged = deps.salesLog.sale(clientOrderId);
    if (!logged) throw new KioskError('UNKNOWN_SALE', `no sale ${clientOrderId} on this till`);
    return deps.printer.printReceipt(`reprint:${clientOrderId}:${Date.now()}`, fromJsonReceipt({ ...logged.receipt, reprint: true }));
  });

  registrar.handle('pos:lookupProduct', async (barcode) => {
    const code = checkText(barcode, 'barcode', 64);
    try {
      const product = await online((a) => a.lookupProduct(code));
      deps.products.remember(product);
      return product;
    } catch (err) {
      const cached = isPosApiError(err) && err.unreachable ? deps.products.get(code) : null;
      if (cached) return cached;
      throw err;
    }
  });

  registrar.handle('pos:searchProducts', async (q) => {
    const text = checkText(q, 'search', 40);
    try {
      const found = await online((a) => a.searchProducts(text));
      for (const p of found) deps.products.remember(p);
      return found;
    } catch (err) {
      if (isPosApiError(err) && err.unreachable) return deps.products.search(text);
      throw err;
    }
  });

  let quickKeys: Product[] | null = null;
  registrar.handle('pos:quickKeys', async () => {
    try {
      const keys = await online((a) => a.quickKeys());
      for (const p of keys) deps.products.remember(p);
      quickKeys = keys;
      return keys;
    } catch (err) {
      if (isPosApiError(err) && err.unreachable) return (quickKeys ?? []).map((k) => ({ ...k }));
      throw err;
    }
  });

  registrar.handle('pos:lookupMember', async (query) => {
    const q = checkMemberQuery(query);
    try {
      return await online((a) => a.lookupMember(q));
    } catch (err) {
      // Offline: a cash sale may still carry the member; the points settle when the queue drains.
      if (isPosApiError(err) && err.unreachable) return unverifiedMember(q);
      throw err;
    }
  });

  registrar.handle('pos:preview', async (request: PreviewRequest) => {
    const lines = checkLines(request?.lines);
    const ref = (request.member as { ref?: unknown } | undefined)?.ref;
    const member: MemberRef = typeof ref === 'string' && ref.length > 0 && ref.length <= 256 ? { ref } : checkMemberQuery(request.member);
    const redeemPoints = request.redeemPoints;
    if (redeemPoints !== undefined && (!Number.isSafeInteger(redeemPoints) || redeemPoints < 0))
      throw new KioskError('INVALID_INPUT', 'points');
    return online((a) => a.preview({ lines, member, ...(redeemPoints ? { redeemPoints } : {}) }));
  });

  registrar.handle('pos:findOrder', async (code) => {
    const text = checkText(code, 'code', 256);
    try {
      return await online((a) => a.findOrder(text));
    } catch (err) {
      if (isPosApiError(err) && err.unreachable) throw new KioskError('OFFLINE_REFUND', 'refunds need the server');
      throw err;
    }
  });

  registrar.handle('pos:refund', async (req: RefundKioskRequest): Promise<RefundOutcome> => {
    const session = deps.shift.require();
    const outRefundNo = checkClientOrderId(req?.refundId);
    const order: OrderDetail = req.order;
    if (!order || !Number.isSafeInteger(order.orderId) || !Array.isArray(order.lines))
      throw new KioskError('INVALID_INPUT', 'order required');
    const reason = checkText(req.reason, 'reason', 80);
    if (!Array.isArray(req.lines) || req.lines.length === 0) throw new KioskError('INVALID_INPUT', 'pick the lines to refund');
    let amountFen = 0;
    for (const pick of req.lines) {
      const line = order.lines.find((l) => l.sku === pick?.sku);
      if (!line || !Number.isSafeInteger(pick.qty) || pick.qty < 1 || pick.qty > line.qty)
        throw new KioskError('INVALID_INPUT', `bad refund line ${pick?.sku}`);
      amountFen += line.unitPriceFen * pick.qty;
    }
    let refund;
    try {
      refund = await online((a) =>
        a.refund(order.orderId, {
          outRefundNo,
          amountFen,
          reason,
          lines: req.lines.map((l) => ({ sku: l.sku, qty: l.qty })),
          shiftId: session.view.shift.shiftId,
        }),
      );
    } catch (err) {
      if (isPosApiError(err) && err.unreachable) throw new KioskError('OFFLINE_REFUND', 'refunds need the server');
      throw err;
    }
    const server = deps.api()?.serverNow() ?? null;
    const slip = refundSlip({
      ctx: receiptContext(session),
      order,
      refund,
      lines: req.lines,
      reason,
      time: server ?? now(),
      deviceTime: server === null,
    });
    const receipt = await deps.printer.printReceipt(`refund:${outRefundNo}`, fromJsonReceipt(slip));
    const cashFen = order.paymentMethod === 'cash' ? refund.wechatFen : 0;
    const drawer = cashFen > 0 ? await deps.printer.openDrawer() : null;
    await deps.salesLog.add({
      type: 'refund',
      refundId: outRefundNo,
      at: slip.time,
      shiftId: session.view.shift.shiftId,
      staffId: session.view.staff.id,
      orderId: order.orderId,
      outTradeNo: order.outTradeNo,
      method: order.paymentMethod,
      cashFen,
      refund,
      receipt: slip,
    });
    return { refund, receipt, cashFen, drawer };
  });

  registrar.handle('pos:redeemVoucher', async (code) => {
    deps.shift.require();
    const text = checkText(code, 'code', 256);
    if (classifyScan(text).kind !== 'voucher') throw new KioskError('INVALID_INPUT', 'not a voucher code');
    try {
      return await online((a) => a.redeemVoucher(text));
    } catch (err) {
      if (isPosApiError(err) && err.unreachable) throw new KioskError('OFFLINE_VOUCHER', 'vouchers need the server');
      throw err;
    }
  });

  return {
    close() {
      for (const sale of open.values()) stopWatching(sale);
    },
  };
}

function unverifiedMember(query: MemberQuery): MemberView {
  const phone = 'phone' in query ? query.phone : '';
  return {
    memberId: 0,
    maskedName: '',
    maskedPhone: phone.length >= 7 ? `${phone.slice(0, 3)}****${phone.slice(-4)}` : '****',
    tier: { code: '', name: '' },
    available: 0,
    pending: 0,
    unverified: true,
  };
}

function checkText(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string' || !value.trim() || value.length > max)
    throw new KioskError('INVALID_INPUT', `${field}: 1–${max} characters`);
  return value.trim();
}

function checkClientOrderId(value: unknown): string {
  if (typeof value !== 'string' || !/^[\w.:-]{8,128}$/.test(value))
    throw new KioskError('INVALID_INPUT', 'id: 8–128 of letters, digits . : _ -');
  return value;
}

function checkLines(value: unknown): OrderLineInput[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_LINES)
    throw new KioskError('INVALID_INPUT', `1–${MAX_LINES} lines`);
  return value.map((l: Partial<OrderLineInput>, i) => {
    if (typeof l?.sku !== 'string' || !l.sku || typeof l.name !== 'string' || !l.name)
      throw new KioskError('INVALID_INPUT', `line ${i}: sku and name`);
    if (!Number.isSafeInteger(l.qty) || (l.qty as number) < 1 || (l.qty as number) > 9999)
      throw new KioskError('INVALID_INPUT', `line ${i}: qty 1–9999`);
    if (!Number.isSafeInteger(l.unitPriceFen) || (l.unitPriceFen as number) < 0)
      throw new KioskError('INVALID_INPUT', `line ${i}: price is integer fen`);
    return {
      sku: l.sku,
      name: l.name.slice(0, 60),
      qty: l.qty as number,
      unitPriceFen: l.unitPriceFen as number,
      ...(l.category ? { category: l.category } : {}),
    };
  });
}

function checkMemberQuery(value: unknown): MemberQuery {
  const q = value as Partial<{ code: unknown; phone: unknown }> | null;
  if (q && typeof q.code === 'string' && q.code.length >= 8 && q.code.length <= 256) return { code: q.code };
  if (q && typeof q.phone === 'string') {
    const phone = q.phone.replace(/[\s-]/g, '').replace(/^\+?86(?=1\d{10}$)/, '');
    if (/^1[3-9]\d{9}$/.test(phone)) return { phone };
  }
  throw new KioskError('INVALID_INPUT', 'a member code or an 11-digit mobile number');
}

function checkMember(view: MemberView | undefined): MemberView {
  if (!view || typeof view !== 'object' || typeof view.maskedPhone !== 'string')
    throw new KioskError('INVALID_INPUT', 'member view required');
  return view;
}
