/**
 * Recovery around WeChat Pay: orders whose notification never came are asked about; unpaid orders
 * are closed when they expire; refunds still processing are asked about; the daily trade bill is
 * matched against the orders. Every step ends in the same idempotent settlement the notification
 * uses, so a notification arriving at the same moment changes nothing.
 */
import { chinaDayStart, chinaInstant } from '@jifen/shared';
import { closeOrder, settleOrderPaid } from '../commands/orders.js';
import type { PaymentDeps } from '../commands/orders.js';
import { sendRefundToWechat, settleRefund } from '../commands/refunds.js';
import * as orders from '../repositories/order.repository.js';
import type { MiniProgramClient, WxPayClient } from '../wechat/types.js';
import type { JobProgress } from './points-jobs.js';

export interface SyncSummary {
  checked: number;
  settled: number;
  closed: number;
  stillPending: number;
  errors: number;
}

const BATCH = 200;

/**
 * Asks WeChat about every WeChat order still pending that was placed more than `olderThanMs` ago:
 * paid → settle; unknown at WeChat or unpaid past its expiry → close (at WeChat first, so it can no
 * longer be paid).
 */
export async function syncPendingPayments(deps: PaymentDeps, olderThanMs: number, progress?: JobProgress): Promise<SyncSummary> {
  const summary: SyncSummary = { checked: 0, settled: 0, closed: 0, stillPending: 0, errors: 0 };
  const wx = deps.wxpay;
  if (!wx) return summary;
  const now = deps.now();
  let after = 0;
  for (;;) {
    const page = await orders.pendingWechatOrders(deps.db.kysely, now - olderThanMs, BATCH, after);
    if (page.length === 0) break;
    for (const order of page) {
      after = order.id;
      summary.checked += 1;
      try {
        const tx =
          order.payment_method === 'wechat_code'
            ? await wx.client.orderQueryV2(order.out_trade_no)
            : await wx.client.queryByOutTradeNo(order.out_trade_no);
        if (tx?.trade_state === 'SUCCESS') {
          const r = await settleOrderPaid(deps, { outTradeNo: order.out_trade_no, tx, source: 'query' });
          if (r.settled) summary.settled += 1;
        } else if (order.expires_at <= now || (tx && ['CLOSED', 'REVOKED', 'PAYERROR'].includes(tx.trade_state))) {
          if (tx && order.payment_method !== 'wechat_code' && tx.trade_state === 'NOTPAY') await wx.client.close(order.out_trade_no);
          await closeOrder(deps, order.id, 'expired');
          summary.closed += 1;
        } else {
          summary.stillPending += 1;
        }
      } catch (e) {
        summary.errors += 1;
        deps.logger.warn({ outTradeNo: order.out_trade_no, err: (e as Error).message }, 'payment sync failed for one order');
      }
    }
    progress?.(summary.checked);
  }
  return summary;
}

/** Refunds WeChat accepted but never reported on: ask, then settle what it says. */
export async function syncProcessingRefunds(deps: PaymentDeps, olderThanMs: number): Promise<{ checked: number; settled: number }> {
  const wx = deps.wxpay;
  const result = { checked: 0, settled: 0 };
  if (!wx) return result;
  const stuck = await deps.db.kysely
    .selectFrom('refund')
    .innerJoin('pay_order', 'pay_order.id', 'refund.order_id')
    .select(['refund.out_refund_no as outRefundNo', 'refund.id as refundId', 'pay_order.id as orderId'])
    .where('refund.status', '=', 'processing')
    .where('refund.created_at', '<', deps.now() - olderThanMs)
    .limit(BATCH)
    .execute();
  for (const r of stuck) {
    result.checked += 1;
    const answer = await wx.client.queryRefund(r.outRefundNo).catch(() => undefined);
    if (answer === undefined) continue;
    if (answer === null) {
      // WeChat never received it (the request was lost): send it again with the same number.
      const order = await orders.findOrderById(deps.db.kysely, r.orderId);
      const refund = await orders.findRefundByNo(deps.db.kysely, r.outRefundNo);
      if (order && refund) await sendRefundToWechat(deps, order, refund);
      continue;
    }
    const s = await settleRefund(deps, { outRefundNo: r.outRefundNo, status: answer.status, wx: answer });
    if (s.settled) result.settled += 1;
  }
  return result;
}

export interface ReconcileReport {
  date: string;
  billRows: number;
  matched: number;
  /** Paid at WeChat, not here: settled now. */
  settledNow: string[];
  /** Paid here, not in WeChat's bill: flagged for a person to look at. */
  flagged: string[];
  /** Amounts that differ between the bill and the order. */
  amountMismatches: string[];
}

/**
 * Matches WeChat's trade bill for a China date against the orders: paid at WeChat but not here →
 * settled (through an order query, so the settlement sees WeChat's own record); paid here but not in
 * the bill → flagged NOT_IN_WECHAT_BILL. Safe to run again.
 */
export async function reconcileDay(deps: PaymentDeps, client: WxPayClient, date: string): Promise<ReconcileReport> {
  const report: ReconcileReport = { date, billRows: 0, matched: 0, settledNow: [], flagged: [], amountMismatches: [] };
  const rows = (await client.tradeBill(date)).filter((r) => r.tradeState === 'SUCCESS' || r.tradeState === 'REFUND');
  report.billRows = rows.length;
  const inBill = new Set<string>();
  for (const row of rows) {
    if (row.tradeState !== 'SUCCESS') continue;
    inBill.add(row.outTradeNo);
    const order = await orders.findOrderByOutTradeNo(deps.db.kysely, row.outTradeNo);
    if (!order) {
      report.flagged.push(`${row.outTradeNo} (paid at WeChat, unknown here)`);
      continue;
    }
    if (order.payable_fen !== row.totalFen)
      report.amountMismatches.push(`${row.outTradeNo}: bill ${row.totalFen} fen, order ${order.payable_fen} fen`);
    if (order.status === 'pending' || order.status === 'closed') {
      const tx = await client.queryByOutTradeNo(row.outTradeNo);
      if (tx?.trade_state === 'SUCCESS' || tx?.trade_state === 'REFUND') {
        const r = await settleOrderPaid(deps, { outTradeNo: row.outTradeNo, tx: { ...tx, trade_state: 'SUCCESS' }, source: 'reconcile' });
        if (r.settled) report.settledNow.push(row.outTradeNo);
        else if (r.order.flag) report.flagged.push(`${row.outTradeNo} (${r.order.flag})`);
      }
    } else {
      report.matched += 1;
    }
  }
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const dayStart = Date.parse(chinaDayStart(chinaInstant(y, m, d, 12, 0)));
  const paidHere = await deps.db.kysely
    .selectFrom('pay_order')
    .select(['id', 'out_trade_no'])
    .where('payment_method', 'in', ['wechat_native', 'wechat_jsapi', 'wechat_code'])
    .where('paid_at', '>=', dayStart)
    .where('paid_at', '<', dayStart + 86_400_000)
    .execute();
  for (const o of paidHere) {
    if (inBill.has(o.out_trade_no)) continue;
    await orders.updateOrder(deps.db.kysely, o.id, { flag: 'NOT_IN_WECHAT_BILL', updated_at: deps.now() });
    report.flagged.push(`${o.out_trade_no} (paid here, not in WeChat's bill)`);
  }
  return report;
}

/** Backoff for failed sends: 30 s, 1 min, 2 min … capped at 1 h; give up after 10 tries. */
export function outboxBackoffMs(attempts: number): number {
  return Math.min(3_600_000, 30_000 * 2 ** Math.max(0, attempts - 1));
}
export const OUTBOX_MAX_ATTEMPTS = 10;

export const SUBSCRIBE_TEMPLATES = {
  points_arrived: { templateId: 'jifen-points-arrived', page: 'pages/points/index' },
  points_expiring: { templateId: 'jifen-points-expiring', page: 'pages/points/index' },
} as const;

interface PointsArrivedPayload {
  openid: string;
  points: number;
  balance: number;
  pending: number;
  reason: string;
  date: string;
}

/**
 * Sends due outbox messages. A message is claimed (compare-and-set on its attempt count) before it is
 * sent, so two servers never send one twice; 43101 (the shopper has no subscription left) gives up at
 * once; other failures retry with backoff. Settlement never waits on any of this.
 */
export async function drainOutbox(
  deps: PaymentDeps,
  mp: MiniProgramClient | null,
  limit = 100,
): Promise<{ sent: number; gaveUp: number; retried: number }> {
  const result = { sent: 0, gaveUp: 0, retried: 0 };
  const now = deps.now();
  const due = await orders.dueOutbox(deps.db.kysely, now, limit);
  for (const msg of due) {
    if (!(await orders.claimOutbox(deps.db.kysely, msg, now + 5 * 60_000))) continue;
    const attempts = msg.attempts + 1;
    if (!mp) {
      await orders.finishOutbox(deps.db.kysely, msg.id, { status: 'gave_up', last_error: 'mini-program API not configured', done_at: now });
      result.gaveUp += 1;
      continue;
    }
    try {
      const outcome = await send(mp, msg.kind, JSON.parse(msg.payload) as PointsArrivedPayload);
      await orders.finishOutbox(deps.db.kysely, msg.id, {
        status: outcome === 'sent' ? 'sent' : 'gave_up',
        last_error: outcome === 'sent' ? null : '43101 no subscription',
        done_at: deps.now(),
      });
      if (outcome === 'sent') result.sent += 1;
      else result.gaveUp += 1;
    } catch (e) {
      const gaveUp = attempts >= OUTBOX_MAX_ATTEMPTS;
      await orders.finishOutbox(deps.db.kysely, msg.id, {
        status: gaveUp ? 'gave_up' : 'pending',
        next_attempt_at: deps.now() + outboxBackoffMs(attempts),
        last_error: (e as Error).message.slice(0, 255),
        done_at: gaveUp ? deps.now() : null,
      });
      if (gaveUp) result.gaveUp += 1;
      else result.retried += 1;
    }
  }
  return result;
}

function send(mp: MiniProgramClient, kind: string, p: PointsArrivedPayload): Promise<'sent' | 'refused'> {
  const template = SUBSCRIBE_TEMPLATES[kind as keyof typeof SUBSCRIBE_TEMPLATES] ?? SUBSCRIBE_TEMPLATES.points_arrived;
  return mp.sendSubscribe({
    openid: p.openid,
    templateId: template.templateId,
    page: template.page,
    data: {
      thing1: { value: p.reason.slice(0, 20) },
      number2: { value: String(p.points) },
      number3: { value: String(p.balance) },
      date4: { value: p.date },
      thing5: { value: p.pending > 0 ? '积分待生效，退货期后到账' : '积分已到账' },
    },
  });
}
