/**
 * Orders and their payment: created at the till (or in the mini-program), paid through WeChat Pay
 * (Native QR, payment code, JSAPI) or cash, and settled exactly once — the order row is locked, and
 * marking it paid, confirming the points held for it, crediting the points it earns and queueing the
 * "points arrived" message all commit together or not at all.
 */
import { randomBytes } from 'node:crypto';
import { JifenError, chinaDate, toIsoUtc } from '@jifen/shared';
import type { CreatePosOrderRequest, OrderLine, OrderStatus, PosOrderView } from '@jifen/shared';
import type { Db } from '../db/connect.js';
import { inTransaction, isDuplicateKeyError } from '../db/dialect.js';
import type { Trx } from '../db/dialect.js';
import type { PersonalDataCipher } from '../lib/crypto.js';
import { RECEIPT_CODE_TTL_MS } from '../lib/codes.js';
import type { CodeSigner } from '../lib/codes.js';
import { newId } from '../lib/ids.js';
import type { Logger } from '../logger.js';
import { findMemberById, findMemberByOpenid } from '../repositories/member.repository.js';
import { setOrderCode, setReceiptCode } from '../repositories/member-claim.repository.js';
import * as orders from '../repositories/order.repository.js';
import type { OrderRow } from '../repositories/order.repository.js';
import { findProgramById } from '../repositories/org.repository.js';
import { ruleSetInForce } from '../repositories/rules.repository.js';
import type { JsapiPayParams, NotificationVerifier, WxPayClient, WxTransaction } from '../wechat/types.js';
import { earnForPurchase, quotePurchase } from './earning.js';
import { confirmHold, hold, releaseHold } from './ledger.js';
import { programConfig } from './programs.js';
import { OFFLINE_CODE_GRACE_MS, memberAtTill } from './pos-members.js';
import { shiftForSale } from './pos-shifts.js';

export interface WxPayRuntime {
  client: WxPayClient;
  verifier: NotificationVerifier;
  /** Public base URL WeChat calls back on (WXPAY_NOTIFY_BASE). */
  notifyBase: string;
  mchid: string;
  appid: string;
  /** Payment-code loop: how often to ask while the shopper types the password, and for how long. */
  micropayPollMs: number;
  micropayMaxWaitMs: number;
}

export interface PaymentDeps {
  db: Db;
  now: () => number;
  logger: Logger;
  cipher: PersonalDataCipher;
  codes: CodeSigner;
  wxpay: WxPayRuntime | null;
}

/** WeChat closes an unpaid order after this; Jifen closes its own copy too. */
export const ORDER_TTL_MS = 15 * 60_000;

export function notifyUrl(wx: WxPayRuntime, kind: 'payment' | 'refund'): string {
  return `${wx.notifyBase.replace(/\/$/, '')}/api/wxpay/notify/${kind}`;
}

/** 32 characters of [0-9A-Z]: random, so a distributed store spreads them, and never a payment code's shape. */
export function newOutTradeNo(): string {
  return `JF${randomBytes(15).toString('hex').toUpperCase()}`.slice(0, 32);
}

function parseLines(order: OrderRow): OrderLine[] {
  return JSON.parse(order.lines) as OrderLine[];
}

export function orderAmount(lines: OrderLine[]): number {
  return lines.reduce((sum, l) => sum + l.qty * l.unitPriceFen - (l.discountFen ?? 0), 0);
}

/** The columns 0003 and 0006 added: SELECT * returns them, the row type leaves them out (see PayOrderCodeColumns). */
type OrderWithCodes = OrderRow & { receipt_code?: string | null; order_code?: string | null; device_time?: number };

export function presentOrder(order: OrderWithCodes, pointsPreview = 0): PosOrderView {
  return {
    orderId: order.id,
    outTradeNo: order.out_trade_no,
    status: order.status as OrderStatus,
    amountFen: order.amount_fen,
    payableFen: order.payable_fen,
    pointsPaid: order.points_paid,
    memberId: order.member_id,
    pointsEarned: order.points_earned,
    pointsPreview: order.status === 'pending' ? pointsPreview : order.points_earned,
    ...(order.code_url ? { codeUrl: order.code_url } : {}),
    // Claimable only while the sale has no member: a claim sets member_id and the code disappears.
    ...(order.status === 'paid' && order.member_id === null && order.receipt_code ? { receiptCode: order.receipt_code } : {}),
    ...(order.payment_method === 'wechat_jsapi' && order.order_code ? { orderCode: order.order_code } : {}),
    placedAt: toIsoUtc(order.placed_at),
    paidAt: order.paid_at === null ? null : toIsoUtc(order.paid_at),
    ...(order.device_time ? { deviceTime: true } : {}),
  };
}

export interface Till {
  terminalId: number;
  storeId: number;
}

/**
 * Creates a POS order and starts its payment. The same clientOrderId from the same terminal returns
 * the same order (a kiosk retry after a timeout never creates a second one).
 * Throws VALIDATION_FAILED, MEMBER_NOT_FOUND, MEMBER_CODE_*, POINTS_INSUFFICIENT,
 * PAYMENTS_NOT_CONFIGURED, PAYMENT_FAILED.
 */
export async function createPosOrder(deps: PaymentDeps, till: Till, req: CreatePosOrderRequest): Promise<PosOrderView> {
  const existing = await orders.findOrderByClientId(deps.db.kysely, till.terminalId, req.clientOrderId);
  if (existing) return presentOrder(existing);
  if (req.payment.method !== 'cash' && !deps.wxpay)
    throw new JifenError('PAYMENTS_NOT_CONFIGURED', 'WeChat Pay is not configured on this server');
  const now = deps.now();
  // A sale journaled offline is placed at the till's time (its rules, its member code), never in the future.
  const deviceTime = req.offlineSale ? Math.min(Date.parse(req.offlineSale.deviceTime), now) : null;
  const placedAt = deviceTime ?? now;
  const codeTime = deviceTime !== null && deviceTime >= now - OFFLINE_CODE_GRACE_MS ? deviceTime : now;
  const shiftId = await shiftForSale(deps, till, req.shiftId, deviceTime !== null);

  // Read fresh, not through tillContext's few-second cache: a program setting HQ publishes (the share
  // payable with points) applies to the very next order.
  const store = await deps.db.kysely
    .selectFrom('store')
    .innerJoin('brand', 'brand.id', 'store.brand_id')
    .select([
      'store.id as storeId',
      'store.code as storeCode',
      'store.name as storeName',
      'brand.id as brandId',
      'brand.code as brandCode',
      'brand.program_id as programId',
    ])
    .where('store.id', '=', till.storeId)
    .executeTakeFirst();
  if (!store) throw new JifenError('NOT_FOUND', 'the terminal’s store no longer exists');
  const program = programConfig((await findProgramById(deps.db.kysely, store.programId))!);
  const member = req.member ? await memberAtTill(deps, till.terminalId, req.member, codeTime, deviceTime !== null) : undefined;
  const amountFen = orderAmount(req.lines);
  if (amountFen <= 0) throw new JifenError('VALIDATION_FAILED', 'the order total must be positive', 'lines');

  let pointsPaidFen = 0;
  if (req.redeemPoints) {
    const value = req.redeemPoints * program.pointValueFen;
    if (value % 100 !== 0)
      throw new JifenError(
        'VALIDATION_FAILED',
        `points are spent in units worth whole fen (${100 / gcd(program.pointValueFen, 100)} points)`,
        'redeemPoints',
      );
    pointsPaidFen = value / 100;
    if (pointsPaidFen * 100 > amountFen * program.maxPointsSharePercent) {
      throw new JifenError('VALIDATION_FAILED', `points may pay at most ${program.maxPointsSharePercent}% of an order`, 'redeemPoints');
    }
  }
  const ruleSet = await ruleSetInForce(deps.db.kysely, program.id, store.brandId, placedAt);
  const row: OrderRow & { shift_id: string | null; device_time: number } = {
    id: newId(),
    out_trade_no: newOutTradeNo(),
    client_order_id: req.clientOrderId,
    channel: 'pos',
    terminal_id: till.terminalId,
    store_id: store.storeId,
    brand_id: store.brandId,
    program_id: program.id,
    member_id: member?.id ?? null,
    payment_method: req.payment.method,
    status: 'pending',
    description: `${store.storeName} ${req.lines[0]?.name ?? ''}${req.lines.length > 1 ? `等${req.lines.length}件` : ''}`.slice(0, 127),
    lines: JSON.stringify(req.lines),
    amount_fen: amountFen,
    points_paid: req.redeemPoints ?? 0,
    points_paid_fen: pointsPaidFen,
    payable_fen: amountFen - pointsPaidFen,
    hold_id: null,
    rule_set_id: ruleSet?.id ?? null,
    code_url: null,
    prepay_id: null,
    transaction_id: null,
    payer_openid: null,
    payer_total_fen: null,
    coupon_fen: 0,
    earn_entry_id: null,
    points_earned: 0,
    refunded_fen: 0,
    flag: null,
    placed_at: placedAt,
    expires_at: now + ORDER_TTL_MS,
    paid_at: null,
    updated_at: now,
    shift_id: shiftId,
    device_time: deviceTime === null ? 0 : 1,
  };
  try {
    await orders.insertOrder(deps.db.kysely, row);
  } catch (e) {
    if (!isDuplicateKeyError(e)) throw e;
    const twin = await orders.findOrderByClientId(deps.db.kysely, till.terminalId, req.clientOrderId);
    if (twin) return presentOrder(twin);
    throw e;
  }

  let preview = 0;
  if (member) {
    preview = (
      await quotePurchase(
        deps.db.kysely,
        {
          memberId: member.id,
          programId: program.id,
          brandId: store.brandId,
          brandCode: store.brandCode,
          storeCode: store.storeCode,
          placedAt,
          lines: req.lines,
          pointsPaidFen,
        },
        now,
        row.rule_set_id,
      )
    ).result.points;
  }
  if (member && req.redeemPoints) {
    try {
      const account = await deps.db.kysely
        .selectFrom('account')
        .select('id')
        .where('member_id', '=', member.id)
        .where('program_id', '=', program.id)
        .executeTakeFirst();
      if (!account) throw new JifenError('POINTS_INSUFFICIENT', 'the member has no points in this program');
      const held = await hold(
        { db: deps.db, now: deps.now },
        { source: 'order', key: `hold:${row.id}` },
        { accountId: account.id, points: req.redeemPoints, reason: '积分抵扣（待支付）', orderRef: row.out_trade_no },
      );
      row.hold_id = held.entryId;
      await orders.updateOrder(deps.db.kysely, row.id, { hold_id: held.entryId });
    } catch (e) {
      await orders.updateOrder(deps.db.kysely, row.id, { status: 'closed', updated_at: deps.now() });
      throw e;
    }
  }

  switch (req.payment.method) {
    case 'cash':
      await settleOrderPaid(deps, { outTradeNo: row.out_trade_no, source: 'cash' });
      break;
    case 'wechat_native': {
      const wx = deps.wxpay!;
      try {
        const { codeUrl } = await wx.client.createNative({
          outTradeNo: row.out_trade_no,
          description: row.description,
          totalFen: row.payable_fen,
          notifyUrl: notifyUrl(wx, 'payment'),
          timeExpire: rfc3339China(row.expires_at),
        });
        await orders.updateOrder(deps.db.kysely, row.id, { code_url: codeUrl });
      } catch (e) {
        await closeOrder(deps, row.id, 'create_failed');
        throw new JifenError('PAYMENT_FAILED', `WeChat Pay refused the order: ${(e as Error).message}`);
      }
      break;
    }
    case 'wechat_code':
      await payByCode(deps, row, req.payment.authCode!);
      break;
    case 'wechat_jsapi':
      // Nothing to ask WeChat yet: the JSAPI order is made when the shopper opens it (startJsapiPayment).
      // The kiosk shows the signed order code as a QR for the mini-program to scan.
      await setOrderCode(deps.db.kysely, row.id, deps.codes.orderCode(row.id));
      break;
  }
  const final = (await orders.findOrderById(deps.db.kysely, row.id))!;
  return presentOrder(final, preview);
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** RFC3339 with the +08:00 offset WeChat uses. */
export function rfc3339China(ms: number): string {
  const local = new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19);
  return `${local}+08:00`;
}

/**
 * The cashier scanned the shopper's payment code (付款码): pay, and while the shopper is typing the
 * password (USERPAYING) ask again until a final answer or the wait runs out; when the outcome stays
 * unknown, reverse the payment so the shopper is never charged for an order the till gave up on.
 */
async function payByCode(deps: PaymentDeps, order: OrderRow, authCode: string): Promise<void> {
  const wx = deps.wxpay!;
  const outcome = await wx.client.micropay({
    outTradeNo: order.out_trade_no,
    authCode,
    totalFen: order.payable_fen,
    description: order.description,
    clientIp: '127.0.0.1',
  });
  if (outcome.state === 'SUCCESS') {
    await settleOrderPaid(deps, { outTradeNo: order.out_trade_no, tx: outcome.transaction, source: 'micropay' });
    return;
  }
  if (outcome.state === 'FAILED') {
    await closeOrder(deps, order.id, `micropay_${outcome.code}`);
    throw new JifenError('PAYMENT_FAILED', `${outcome.code}: ${outcome.message}`);
  }
  const deadline = deps.now() + wx.micropayMaxWaitMs;
  while (deps.now() < deadline) {
    await new Promise((r) => setTimeout(r, wx.micropayPollMs));
    const tx = await wx.client.orderQueryV2(order.out_trade_no).catch(() => null);
    if (tx?.trade_state === 'SUCCESS') {
      await settleOrderPaid(deps, { outTradeNo: order.out_trade_no, tx, source: 'micropay' });
      return;
    }
    if (tx && ['PAYERROR', 'CLOSED', 'REVOKED'].includes(tx.trade_state)) break;
  }
  for (let i = 0; i < 3; i++) {
    const { recall } = await wx.client.reverse(order.out_trade_no).catch(() => ({ recall: true }));
    if (!recall) break;
  }
  await closeOrder(deps, order.id, 'micropay_reversed');
  throw new JifenError('PAYMENT_FAILED', 'the payment was not confirmed and has been reversed');
}

/**
 * The shopper opened a pending order in the mini-program: create (or reuse, for the same shopper)
 * the JSAPI order at WeChat and return what Taro.requestPayment needs. The client's success callback
 * proves nothing: the order is settled only by the notification or a query.
 * Throws ORDER_NOT_FOUND, ORDER_NOT_PAYABLE, PAYMENTS_NOT_CONFIGURED, PAYMENT_FAILED.
 */
export async function startJsapiPayment(
  deps: PaymentDeps,
  input: { orderId: number; openid: string },
): Promise<JsapiPayParams & { outTradeNo: string }> {
  const wx = deps.wxpay;
  if (!wx) throw new JifenError('PAYMENTS_NOT_CONFIGURED', 'WeChat Pay is not configured on this server');
  const order = await orders.findOrderById(deps.db.kysely, input.orderId);
  if (!order) throw new JifenError('ORDER_NOT_FOUND', `order ${input.orderId} not found`);
  if (order.status !== 'pending' || order.payment_method !== 'wechat_jsapi' || order.expires_at <= deps.now()) {
    throw new JifenError(
      'ORDER_NOT_PAYABLE',
      'this order cannot be paid in the mini-program (paid, closed, expired or another payment method)',
    );
  }
  if (order.payer_openid && order.payer_openid !== input.openid)
    throw new JifenError('ORDER_NOT_PAYABLE', 'another shopper is already paying this order');
  let prepayId = order.prepay_id;
  if (!prepayId) {
    try {
      ({ prepayId } = await wx.client.createJsapi({
        outTradeNo: order.out_trade_no,
        description: order.description,
        totalFen: order.payable_fen,
        notifyUrl: notifyUrl(wx, 'payment'),
        timeExpire: rfc3339China(order.expires_at),
        openid: input.openid,
      }));
    } catch (e) {
      throw new JifenError('PAYMENT_FAILED', `WeChat Pay refused the order: ${(e as Error).message}`);
    }
    await orders.updateOrder(deps.db.kysely, order.id, { prepay_id: prepayId, payer_openid: input.openid, updated_at: deps.now() });
  }
  return { ...wx.client.jsapiPayParams(prepayId), outTradeNo: order.out_trade_no };
}

/** Closes an unpaid order and gives back any points held for it. Idempotent. */
export async function closeOrder(deps: PaymentDeps, orderId: number, why: string): Promise<void> {
  const order = await inTransaction(deps.db, async (trx) => {
    const o = await orders.lockOrder(trx, deps.db.dialect, { id: orderId });
    if (!o || o.status !== 'pending') return null;
    await orders.updateOrder(trx, o.id, {
      status: 'closed',
      flag: o.flag ?? (why.startsWith('micropay') || why === 'create_failed' ? why : null),
      updated_at: deps.now(),
    });
    if (o.hold_id)
      await releaseHold(
        { db: deps.db, trx, now: deps.now },
        { source: 'order', key: `release:${o.id}` },
        { holdId: o.hold_id, reason: '订单关闭，退回积分' },
      );
    return o;
  });
  if (order) deps.logger.info({ outTradeNo: order.out_trade_no, why }, 'order closed');
}

/** Store and brand codes never change once issued: read once per process. */
const storeCodeCache = new Map<number, { storeCode: string; brandCode: string }>();
async function storeCodes(trx: Trx, storeId: number): Promise<{ storeCode: string; brandCode: string }> {
  const hit = storeCodeCache.get(storeId);
  if (hit) return hit;
  const row = await trx
    .selectFrom('store')
    .innerJoin('brand', 'brand.id', 'store.brand_id')
    .select(['store.code as storeCode', 'brand.code as brandCode'])
    .where('store.id', '=', storeId)
    .executeTakeFirstOrThrow();
  storeCodeCache.set(storeId, row);
  return row;
}

export interface SettleRequest {
  outTradeNo: string;
  /** WeChat's transaction (notification, query or payment code); absent for cash. */
  tx?: WxTransaction;
  source: 'notify' | 'query' | 'micropay' | 'cash' | 'reconcile';
}

export interface SettleResult {
  settled: boolean;
  order: OrderRow;
}

/** Checks that WeChat's transaction belongs to this merchant and this order, to the fen. */
function checkTransaction(deps: PaymentDeps, order: OrderRow, tx: WxTransaction): void {
  const wx = deps.wxpay;
  const problems: string[] = [];
  if (tx.trade_state !== 'SUCCESS') problems.push(`trade_state ${tx.trade_state}`);
  if (wx && tx.mchid !== wx.mchid) problems.push('mchid');
  if (wx && tx.appid !== wx.appid) problems.push('appid');
  if (tx.out_trade_no !== order.out_trade_no) problems.push('out_trade_no');
  if (!tx.amount || tx.amount.total !== order.payable_fen) problems.push(`amount ${tx.amount?.total} != ${order.payable_fen}`);
  if (!tx.transaction_id) problems.push('transaction_id');
  if (problems.length) throw new JifenError('PAYMENT_MISMATCH', `the payment does not match the order: ${problems.join(', ')}`);
}

/**
 * Marks an order paid and settles its points, once. A replay (a duplicate notification, a query
 * that finds it paid, a retry) changes nothing and reports settled: false.
 * Throws ORDER_NOT_FOUND, PAYMENT_MISMATCH.
 */
export async function settleOrderPaid(deps: PaymentDeps, req: SettleRequest): Promise<SettleResult> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await inTransaction(deps.db, (trx) => settleInside(deps, trx, req));
    } catch (e) {
      // A twin settlement on another connection won a unique key; the rerun replays it.
      if (isDuplicateKeyError(e) && attempt < 2) continue;
      throw e;
    }
  }
}

async function settleInside(deps: PaymentDeps, trx: Trx, req: SettleRequest): Promise<SettleResult> {
  const now = deps.now();
  const order = await orders.lockOrder(trx, deps.db.dialect, { outTradeNo: req.outTradeNo });
  if (!order) throw new JifenError('ORDER_NOT_FOUND', `order ${req.outTradeNo} not found`);
  if (req.tx) checkTransaction(deps, order, req.tx);
  if (order.status !== 'pending') {
    if (order.status === 'closed' && req.tx) {
      // Paid at WeChat after Jifen closed it: money was taken, so it must be looked at by a person.
      await orders.updateOrder(trx, order.id, {
        flag: 'PAID_AFTER_CLOSE',
        transaction_id: order.transaction_id ?? req.tx.transaction_id ?? null,
        updated_at: now,
      });
      deps.logger.error({ outTradeNo: order.out_trade_no }, 'payment for a closed order');
    }
    return { settled: false, order };
  }
  const ledger = { db: deps.db, trx, now: () => now };
  const payerTotal = req.tx?.amount?.payer_total ?? order.payable_fen;
  const patch: Partial<OrderRow> = {
    status: 'paid',
    paid_at: req.tx?.success_time ? Date.parse(req.tx.success_time) : now,
    transaction_id: req.tx?.transaction_id ?? null,
    payer_openid: req.tx?.payer?.openid ?? null,
    payer_total_fen: payerTotal,
    // WeChat coupons are paid by WeChat or the merchant, not the shopper: they never earn.
    coupon_fen: Math.max(0, order.payable_fen - payerTotal),
    updated_at: now,
  };
  if (order.hold_id)
    await confirmHold(
      ledger,
      { source: 'order', key: `confirm:${order.id}` },
      { holdId: order.hold_id, orderRef: order.out_trade_no, reason: `积分抵扣 ${order.points_paid}积分` },
    );

  // "Points on payment": without a member code, the WeChat payer's openid identifies the member.
  let member = order.member_id ? await findMemberById(trx, order.member_id) : undefined;
  if (!member && patch.payer_openid) member = await findMemberByOpenid(trx, patch.payer_openid);
  if (member && member.status === 'active') {
    const store = await storeCodes(trx, order.store_id);
    const earned = await earnForPurchase(
      ledger,
      { source: 'order', key: `earn:${order.id}` },
      {
        memberId: member.id,
        programId: order.program_id,
        brandId: order.brand_id,
        brandCode: store.brandCode,
        storeCode: store.storeCode,
        placedAt: order.placed_at,
        lines: parseLines(order),
        couponFen: patch.coupon_fen ?? 0,
        pointsPaidFen: order.points_paid_fen,
        orderRef: order.out_trade_no,
        ruleSetId: order.rule_set_id,
        member,
      },
    ).catch((e: unknown) => {
      // A frozen account earns nothing; the check runs before the posting writes anything, so the
      // payment itself still settles in this transaction, flagged for HQ.
      if (e instanceof JifenError && e.code === 'ACCOUNT_FROZEN') return null;
      throw e;
    });
    patch.member_id = member.id;
    if (!earned) {
      patch.flag = 'EARN_REFUSED_FROZEN';
      await orders.updateOrder(trx, order.id, patch);
      return { settled: true, order: { ...order, ...patch } as OrderRow };
    }
    const { posting, quote } = earned;
    patch.earn_entry_id = posting.entryId;
    patch.points_earned = posting.points;
    if (member.openid && posting.points > 0) {
      await orders.enqueueOutbox(trx, {
        dedupeKey: `points-arrived:${order.id}`,
        kind: 'points_arrived',
        payload: {
          openid: member.openid,
          orderId: order.id,
          points: posting.points,
          pending: posting.pending,
          balance: posting.available,
          reason: quote.result.trace[0]?.text ?? '消费积分',
          date: chinaDate(toIsoUtc(now)),
        },
        now,
      });
    }
  } else if (order.channel === 'pos' && order.member_id === null) {
    // Nobody to credit: the receipt carries a code the shopper can claim these points with later.
    await setReceiptCode(trx, order.id, deps.codes.receiptCode(order.id, now + RECEIPT_CODE_TTL_MS));
  }
  await orders.updateOrder(trx, order.id, patch);
  return { settled: true, order: { ...order, ...patch } as OrderRow };
}
