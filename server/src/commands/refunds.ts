/**
 * Refunds, full and partial, from the kiosk and from HQ. A refund is idempotent by its
 * out_refund_no; it is settled when WeChat reports REFUND.SUCCESS (at once for cash): the points the
 * order earned are taken back in proportion to the amount refunded, linked to the original earn
 * entry, and the points the shopper paid with are given back. ABNORMAL and CLOSED leave points alone.
 */
import { randomBytes } from 'node:crypto';
import { JifenError } from '@jifen/shared';
import type { OrderLine, PosRefundView } from '@jifen/shared';
import { inTransaction } from '../db/dialect.js';
import type { Trx } from '../db/dialect.js';
import { newId } from '../lib/ids.js';
import * as orders from '../repositories/order.repository.js';
import type { OrderRow, RefundRow } from '../repositories/order.repository.js';
import type { WxRefund } from '../wechat/types.js';
import { reverse } from './ledger.js';
import { notifyUrl } from './orders.js';
import type { PaymentDeps } from './orders.js';

/** The refund as the POS API answers it (shared/src/contracts/pos.ts). */
export type RefundView = PosRefundView;

export function presentRefund(r: RefundRow): RefundView {
  return {
    outRefundNo: r.out_refund_no,
    orderId: r.order_id,
    status: r.status,
    amountFen: r.amount_fen,
    wechatFen: r.wechat_fen,
    pointsReturned: r.points_returned,
    pointsReversed: r.points_reversed,
  };
}

/** The share of `whole` that `cumulative` of `total` stands for, rounded down — all of it at the end. */
function cumulativeShare(whole: number, cumulative: number, total: number): number {
  return cumulative >= total ? whole : Math.floor((whole * cumulative) / total);
}

export interface RefundRequestInput {
  orderId: number;
  /** Value of the goods refunded; the remaining amount when absent. */
  amountFen?: number;
  outRefundNo?: string;
  reason: string;
  actor: string;
  /** The lines (sku, qty) taken back: none beyond what was sold less what earlier refunds took. */
  lines?: RefundLine[];
  /** The till shift that gives the money back (checked by the caller). */
  shiftId?: string | null;
}

export interface RefundLine {
  sku: string;
  qty: number;
}

/**
 * The value of the refunded lines, checked against the order's lines and the lines earlier refunds
 * took back; units of one SKU are valued cumulatively, so refunding them one by one adds up to the
 * line's value exactly. Throws VALIDATION_FAILED.
 */
function valueOfLines(order: OrderRow, earlier: RefundRow[], lines: RefundLine[]): number {
  const sold = new Map<string, { qty: number; valueFen: number }>();
  for (const l of JSON.parse(order.lines) as OrderLine[]) {
    const s = sold.get(l.sku) ?? { qty: 0, valueFen: 0 };
    sold.set(l.sku, { qty: s.qty + l.qty, valueFen: s.valueFen + l.qty * l.unitPriceFen - (l.discountFen ?? 0) });
  }
  const taken = new Map<string, number>();
  for (const r of earlier)
    for (const l of r.lines ? (JSON.parse(r.lines) as RefundLine[]) : []) taken.set(l.sku, (taken.get(l.sku) ?? 0) + l.qty);
  let value = 0;
  for (const l of lines) {
    const s = sold.get(l.sku);
    if (!s) throw new JifenError('VALIDATION_FAILED', `the order has no line ${l.sku}`, 'lines');
    const before = taken.get(l.sku) ?? 0;
    if (before + l.qty > s.qty)
      throw new JifenError('VALIDATION_FAILED', `only ${s.qty - before} of ${l.sku} can still be refunded`, 'lines');
    value += Math.floor((s.valueFen * (before + l.qty)) / s.qty) - Math.floor((s.valueFen * before) / s.qty);
    taken.set(l.sku, before + l.qty);
  }
  return value;
}

/**
 * Starts a refund. Throws ORDER_NOT_FOUND, ORDER_NOT_REFUNDABLE, REFUND_EXCEEDS_ORDER,
 * IDEMPOTENCY_CONFLICT (the refund number was used for another order or amount).
 */
export async function requestRefund(deps: PaymentDeps, input: RefundRequestInput): Promise<RefundView> {
  const outRefundNo = input.outRefundNo ?? `RF${randomBytes(12).toString('hex').toUpperCase()}`;
  const existing = await orders.findRefundByNo(deps.db.kysely, outRefundNo);
  if (existing) return replayRefund(existing, input);

  const created = await inTransaction(deps.db, async (trx) => {
    // The order lock serialises refunds of one order, so two can never together exceed it.
    const order = await orders.lockOrder(trx, deps.db.dialect, { id: input.orderId });
    if (!order) throw new JifenError('ORDER_NOT_FOUND', `order ${input.orderId} not found`);
    const twin = await orders.findRefundByNo(trx, outRefundNo);
    if (twin) return { refund: twin, order, replay: true };
    if (order.status !== 'paid' && order.status !== 'partially_refunded') {
      throw new JifenError('ORDER_NOT_REFUNDABLE', `an order that is ${order.status} cannot be refunded`);
    }
    const live = (await orders.refundsOfOrder(trx, order.id)).filter((r) => r.status !== 'closed');
    const before = live.reduce((s, r) => s + r.amount_fen, 0);
    const remaining = order.amount_fen - before;
    const linesValue = input.lines ? valueOfLines(order, live, input.lines) : null;
    if (linesValue !== null && input.amountFen !== undefined && input.amountFen > linesValue)
      throw new JifenError('VALIDATION_FAILED', `the lines refunded are worth ${linesValue} fen`, 'amountFen');
    const amount = input.amountFen ?? linesValue ?? remaining;
    if (amount <= 0 || amount > remaining) {
      throw new JifenError('REFUND_EXCEEDS_ORDER', `at most ${remaining} fen of this order can still be refunded`, 'amountFen');
    }
    const cashBefore = live.reduce((s, r) => s + r.wechat_fen, 0);
    const pointsBefore = live.reduce((s, r) => s + r.points_returned, 0);
    const refund: RefundRow & { shift_id: string | null } = {
      id: newId(),
      out_refund_no: outRefundNo,
      order_id: order.id,
      amount_fen: amount,
      wechat_fen: cumulativeShare(order.payable_fen, before + amount, order.amount_fen) - cashBefore,
      points_returned: cumulativeShare(order.points_paid, before + amount, order.amount_fen) - pointsBefore,
      points_reversed: 0,
      status: 'processing',
      reason: input.reason.slice(0, 80),
      lines: input.lines ? JSON.stringify(input.lines) : null,
      shift_id: input.shiftId ?? null,
      requested_by: input.actor,
      wechat_refund_id: null,
      created_at: deps.now(),
      settled_at: null,
    };
    await orders.insertRefund(trx, refund);
    return { refund, order, replay: false };
  });
  if (created.replay) return replayRefund(created.refund, input);

  const { refund, order } = created;
  if (order.payment_method === 'cash' || refund.wechat_fen === 0) {
    await settleRefund(deps, { outRefundNo, status: 'SUCCESS' });
  } else {
    await sendRefundToWechat(deps, order, refund);
  }
  return presentRefund((await orders.findRefundByNo(deps.db.kysely, outRefundNo))!);
}

function replayRefund(existing: RefundRow, input: RefundRequestInput): RefundView {
  if (
    existing.order_id !== input.orderId ||
    (input.amountFen !== undefined && existing.amount_fen !== input.amountFen) ||
    (input.lines !== undefined && existing.lines !== JSON.stringify(input.lines))
  ) {
    throw new JifenError('IDEMPOTENCY_CONFLICT', `refund ${existing.out_refund_no} was requested for another order or amount`);
  }
  return presentRefund(existing);
}

/** Asks WeChat to refund; a network failure leaves the refund processing for the recovery job. */
export async function sendRefundToWechat(deps: PaymentDeps, order: OrderRow, refund: RefundRow): Promise<void> {
  const wx = deps.wxpay;
  if (!wx) throw new JifenError('PAYMENTS_NOT_CONFIGURED', 'WeChat Pay is not configured on this server');
  try {
    const answer = await wx.client.refund({
      outTradeNo: order.out_trade_no,
      outRefundNo: refund.out_refund_no,
      refundFen: refund.wechat_fen,
      totalFen: order.payable_fen,
      reason: refund.reason,
      notifyUrl: notifyUrl(wx, 'refund'),
    });
    if (answer.refund_id) await orders.updateRefund(deps.db.kysely, refund.id, { wechat_refund_id: answer.refund_id });
    if (answer.status !== 'PROCESSING') await settleRefund(deps, { outRefundNo: refund.out_refund_no, status: answer.status, wx: answer });
  } catch (e) {
    deps.logger.warn(
      { outRefundNo: refund.out_refund_no, err: (e as Error).message },
      'refund request not confirmed; the recovery job will ask again',
    );
  }
}

export interface RefundOutcome {
  outRefundNo: string;
  status: 'SUCCESS' | 'ABNORMAL' | 'CLOSED' | 'PROCESSING';
  wx?: WxRefund;
}

/**
 * Applies WeChat's answer about a refund, once. Throws NOT_FOUND for an unknown refund number and
 * PAYMENT_MISMATCH when WeChat's amounts disagree with the refund.
 */
export async function settleRefund(deps: PaymentDeps, outcome: RefundOutcome): Promise<{ settled: boolean }> {
  if (outcome.status === 'PROCESSING') return { settled: false };
  const head = await orders.findRefundByNo(deps.db.kysely, outcome.outRefundNo);
  if (!head) throw new JifenError('NOT_FOUND', `refund ${outcome.outRefundNo} not found`);
  return inTransaction(deps.db, async (trx) => {
    const order = await orders.lockOrder(trx, deps.db.dialect, { id: head.order_id });
    const refund = await orders.findRefundByNo(trx, outcome.outRefundNo);
    if (!order || !refund) throw new JifenError('NOT_FOUND', `refund ${outcome.outRefundNo} not found`);
    if (refund.status !== 'processing') return { settled: false };
    if (outcome.wx && (outcome.wx.amount.refund !== refund.wechat_fen || outcome.wx.out_trade_no !== order.out_trade_no)) {
      throw new JifenError('PAYMENT_MISMATCH', `WeChat's refund ${outcome.outRefundNo} does not match: ${outcome.wx.amount.refund} fen`);
    }
    const now = deps.now();
    if (outcome.status !== 'SUCCESS') {
      await orders.updateRefund(trx, refund.id, { status: outcome.status.toLowerCase(), settled_at: now });
      return { settled: true };
    }
    const reversed = await takeBackPoints(deps, trx, order, refund);
    const refundedFen = order.refunded_fen + refund.amount_fen;
    await orders.updateRefund(trx, refund.id, {
      status: 'success',
      settled_at: now,
      points_reversed: reversed,
      wechat_refund_id: outcome.wx?.refund_id ?? refund.wechat_refund_id,
    });
    await orders.updateOrder(trx, order.id, {
      refunded_fen: refundedFen,
      status: refundedFen >= order.amount_fen ? 'refunded' : 'partially_refunded',
      updated_at: now,
    });
    return { settled: true };
  });
}

/** Reverses the refund's share of the points earned and returns its share of the points paid. */
async function takeBackPoints(deps: PaymentDeps, trx: Trx, order: OrderRow, refund: RefundRow): Promise<number> {
  const ledger = { db: deps.db, trx, now: deps.now };
  const done = (await orders.refundsOfOrder(trx, order.id)).filter((r) => r.status === 'success');
  const refundedBefore = done.reduce((s, r) => s + r.amount_fen, 0);
  const reversedBefore = done.reduce((s, r) => s + r.points_reversed, 0);
  const cumulative = refundedBefore + refund.amount_fen;
  let reversed = 0;
  if (order.earn_entry_id && order.points_earned > 0) {
    reversed = cumulativeShare(order.points_earned, cumulative, order.amount_fen) - reversedBefore;
    const earn = await trx
      .selectFrom('ledger_entry')
      .select('growth_delta')
      .where('id', '=', order.earn_entry_id)
      .executeTakeFirstOrThrow();
    const growth =
      cumulativeShare(earn.growth_delta, cumulative, order.amount_fen) -
      cumulativeShare(earn.growth_delta, refundedBefore, order.amount_fen);
    if (reversed > 0) {
      await reverse(
        ledger,
        { source: 'refund', key: `reverse:${refund.out_refund_no}` },
        {
          entryId: order.earn_entry_id,
          points: reversed,
          growth,
          reason: `退款￥${(refund.amount_fen / 100).toFixed(2)}，扣回积分`,
          orderRef: order.out_trade_no,
        },
      );
    }
  }
  if (refund.points_returned > 0 && order.hold_id) {
    const confirm = await trx
      .selectFrom('ledger_entry')
      .select('id')
      .where('ref_entry_id', '=', order.hold_id)
      .where('kind', '=', 'hold_confirm')
      .executeTakeFirst();
    if (confirm) {
      await reverse(
        ledger,
        { source: 'refund', key: `return:${refund.out_refund_no}` },
        { entryId: confirm.id, points: refund.points_returned, reason: `退款退还抵扣积分`, orderRef: order.out_trade_no },
      );
    }
  }
  return reversed;
}
