/**
 * Domestic refunds (§4): create (idempotent on out_refund_no), query, and the asynchronous outcome
 * (PROCESSING → SUCCESS | ABNORMAL | CLOSED) with its REFUND.* notification.
 *
 * Acceptance is not success: a new refund is always PROCESSING in the create answer; its outcome comes later,
 * either automatically (default SUCCESS after `refundDelayMs`) or when a test calls refundOutcome().
 */
import { refundId } from './ids.js';
import { rfc3339China, type Clock, type TimerRegistry } from './clock.js';
import { SimError, V3Error, paramError, sortKeysDeep, v3Fields, type Route, type V3Context, type V3Reply } from './http.js';
import { isPaid, validateNotifyUrl, type Order, type OrderBook } from './orders.js';
import type { RefundOutcome, ResolvedConfig } from './config.js';
import type { Notifier } from './notify.js';

export type RefundStatus = 'PROCESSING' | RefundOutcome;

export interface Refund {
  refundId: string;
  outRefundNo: string;
  outTradeNo: string;
  transactionId: string;
  reason?: string;
  notifyUrl?: string;
  fundsAccount: string;
  /** Refund amount in fen, and the part of it the shopper gets back in cash. */
  refund: number;
  payerRefund: number;
  total: number;
  payerTotal: number;
  status: RefundStatus;
  createdAtMs: number;
  successAtMs?: number;
  fingerprint: string;
  /** Created by a payment-code reverse rather than by a refund request: never notified. */
  internal: boolean;
}

export interface RefundJson {
  refund_id: string;
  out_refund_no: string;
  transaction_id: string;
  out_trade_no: string;
  channel: 'ORIGINAL';
  user_received_account: string;
  success_time?: string;
  create_time: string;
  status: RefundStatus;
  funds_account: string;
  amount: {
    total: number;
    refund: number;
    from: never[];
    payer_total: number;
    payer_refund: number;
    settlement_refund: number;
    settlement_total: number;
    discount_refund: number;
    currency: 'CNY';
    refund_fee: number;
  };
  promotion_detail: never[];
}

const OUT_REFUND_NO = /^[0-9A-Za-z_\-|*@]{1,64}$/;
const SUMMARY: Record<RefundOutcome, string> = { SUCCESS: '退款成功', ABNORMAL: '退款异常', CLOSED: '退款关闭' };
const MAX_REFUNDS_PER_ORDER = 50;

export function refundJson(r: Refund): RefundJson {
  return {
    refund_id: r.refundId,
    out_refund_no: r.outRefundNo,
    transaction_id: r.transactionId,
    out_trade_no: r.outTradeNo,
    channel: 'ORIGINAL',
    user_received_account: '支付用户零钱',
    // Present only once the refund succeeded; WeChat lists it before create_time.
    ...(r.successAtMs !== undefined ? { success_time: rfc3339China(r.successAtMs) } : {}),
    create_time: rfc3339China(r.createdAtMs),
    status: r.status,
    funds_account: r.fundsAccount,
    amount: {
      total: r.total,
      refund: r.refund,
      from: [],
      payer_total: r.payerTotal,
      payer_refund: r.payerRefund,
      // Coupons are merchant-funded (NOCASH), so the settlement amounts equal the shopper's cash amounts.
      settlement_refund: r.payerRefund,
      settlement_total: r.payerTotal,
      discount_refund: r.refund - r.payerRefund,
      currency: 'CNY',
      refund_fee: 0,
    },
    promotion_detail: [],
  };
}

export class RefundDesk {
  readonly #refunds = new Map<string, Refund>();
  readonly #presets = new Map<string, RefundOutcome>();
  readonly #timers = new Map<string, NodeJS.Timeout | undefined>();

  constructor(
    private readonly config: ResolvedConfig,
    private readonly clock: Clock,
    private readonly timers: TimerRegistry,
    private readonly orders: OrderBook,
    private readonly notifier: Notifier,
  ) {}

  get(outRefundNo: string): Refund | undefined {
    return this.#refunds.get(outRefundNo);
  }

  list(): Refund[] {
    return [...this.#refunds.values()];
  }

  forOrder(outTradeNo: string): Refund[] {
    return this.list().filter((r) => r.outTradeNo === outTradeNo);
  }

  /** Fen already committed to refunds of an order (closed refunds give their amount back). */
  refundedFen(outTradeNo: string): number {
    return this.forOrder(outTradeNo)
      .filter((r) => r.status !== 'CLOSED')
      .reduce((sum, r) => sum + r.refund, 0);
  }

  /**
   * Decides how a refund ends. On a PROCESSING refund it applies now; on an unknown out_refund_no it is kept
   * for when that refund is requested (it then ends this way after the usual delay).
   */
  refundOutcome(outRefundNo: string, outcome: RefundOutcome): Refund | undefined {
    const refund = this.#refunds.get(outRefundNo);
    if (!refund) {
      this.#presets.set(outRefundNo, outcome);
      return undefined;
    }
    if (refund.status !== 'PROCESSING') throw new SimError(409, `refund ${outRefundNo} already ended ${refund.status}`);
    this.#finish(refund, outcome);
    return refund;
  }

  /** A refund WeChat performs by itself (reverse of a paid payment-code order): immediate SUCCESS, no notification. */
  refundInternally(order: Order, reason: string): Refund {
    const now = this.clock.nowMs();
    const refund = this.#newRefund(order, `REVOKE_${order.outTradeNo}`.slice(0, 64), order.total - this.refundedFen(order.outTradeNo), now);
    refund.reason = reason;
    refund.internal = true;
    refund.status = 'SUCCESS';
    refund.successAtMs = now;
    this.#refunds.set(refund.outRefundNo, refund);
    return refund;
  }

  reset(): void {
    for (const t of this.#timers.values()) this.timers.clear(t);
    this.#timers.clear();
    this.#refunds.clear();
    this.#presets.clear();
  }

  #newRefund(order: Order, outRefundNo: string, amount: number, now: number): Refund {
    const payerTotal = order.total - order.couponFen;
    return {
      refundId: refundId(now),
      outRefundNo,
      outTradeNo: order.outTradeNo,
      transactionId: order.transactionId ?? '',
      fundsAccount: 'AVAILABLE',
      refund: amount,
      // The shopper gets back the cash share of the refund; the coupon share goes back to the coupon.
      payerRefund: Math.round((amount * payerTotal) / order.total),
      total: order.total,
      payerTotal,
      status: 'PROCESSING',
      createdAtMs: now,
      fingerprint: '',
      internal: false,
    };
  }

  #finish(refund: Refund, outcome: RefundOutcome): void {
    this.timers.clear(this.#timers.get(refund.outRefundNo));
    this.#timers.delete(refund.outRefundNo);
    refund.status = outcome;
    if (outcome === 'SUCCESS') refund.successAtMs = this.clock.nowMs();
    const url = refund.notifyUrl ?? this.config.merchant.refundNotifyUrl;
    if (url === undefined || refund.internal) return;
    const plaintext: Record<string, unknown> = {
      mchid: this.config.merchant.mchid,
      out_trade_no: refund.outTradeNo,
      transaction_id: refund.transactionId,
      out_refund_no: refund.outRefundNo,
      refund_id: refund.refundId,
      refund_status: outcome,
    };
    if (refund.successAtMs !== undefined) plaintext['success_time'] = rfc3339China(refund.successAtMs);
    plaintext['user_received_account'] = '支付用户零钱';
    plaintext['amount'] = { total: refund.total, refund: refund.refund, payer_total: refund.payerTotal, payer_refund: refund.payerRefund };
    this.notifier.send({
      eventType: `REFUND.${outcome}`,
      summary: SUMMARY[outcome],
      originalType: 'refund',
      associatedData: 'refund',
      plaintext: JSON.stringify(plaintext),
      url,
      outTradeNo: refund.outTradeNo,
      outRefundNo: refund.outRefundNo,
    });
  }

  #schedule(refund: Refund): void {
    const preset = this.#presets.get(refund.outRefundNo);
    this.#presets.delete(refund.outRefundNo);
    const outcome = preset ?? this.config.settings.refundAutoOutcome;
    if (outcome === 'none') return;
    const handle = this.timers.set(() => {
      this.#timers.delete(refund.outRefundNo);
      if (refund.status === 'PROCESSING') this.#finish(refund, outcome);
    }, this.config.settings.refundDelayMs);
    this.#timers.set(refund.outRefundNo, handle);
  }

  // -------------------------------------------------------------------------------------------------------
  // HTTP

  routes(): Route[] {
    return [
      { kind: 'v3', method: 'POST', pattern: /^\/v3\/refund\/domestic\/refunds$/, handle: (ctx) => this.#create(ctx) },
      { kind: 'v3', method: 'GET', pattern: /^\/v3\/refund\/domestic\/refunds\/([^/]+)$/, handle: (ctx) => this.#query(ctx) },
    ];
  }

  #create(ctx: V3Context): V3Reply {
    const f = v3Fields(ctx.json);
    const transactionId = f.optString('transaction_id');
    const outTradeNo = f.optString('out_trade_no');
    if (transactionId === undefined && outTradeNo === undefined)
      throw paramError('/out_trade_no', undefined, 'transaction_id和out_trade_no必须二选一');
    const outRefundNo = f.string('out_refund_no');
    if (!OUT_REFUND_NO.test(outRefundNo)) throw f.fail('out_refund_no', '只能是1-64位数字、大小写字母_-|*@');
    const reason = f.optString('reason');
    if (reason !== undefined && [...reason].length > 80) throw f.fail('reason', '长度不能超过80');
    const notifyUrl = f.optString('notify_url');
    if (notifyUrl !== undefined) validateNotifyUrl(notifyUrl, this.config.allowHttpNotifyUrl);
    const fundsAccount = f.optString('funds_account');
    const amount = f.object('amount');
    const refundFen = amount.int('refund');
    if (refundFen <= 0) throw amount.fail('refund', '必须大于0');
    const totalFen = amount.int('total');
    if (amount.string('currency') !== 'CNY') throw amount.fail('currency', '只支持CNY');

    const order = transactionId !== undefined ? this.orders.byTransactionId(transactionId) : this.orders.get(outTradeNo ?? '');
    if (!order || (outTradeNo !== undefined && order.outTradeNo !== outTradeNo))
      throw new V3Error(404, 'RESOURCE_NOT_EXISTS', '订单不存在');
    const fingerprint = JSON.stringify(sortKeysDeep({ order: order.outTradeNo, refundFen, totalFen, reason, notifyUrl, fundsAccount }));
    const existing = this.#refunds.get(outRefundNo);
    if (existing) {
      if (existing.fingerprint !== fingerprint) throw new V3Error(400, 'INVALID_REQUEST', '请求重入时，参数与首次请求时不一致');
      return { status: 200, json: refundJson(existing) };
    }
    if (!isPaid(order) || order.state === 'REVOKED') throw new V3Error(400, 'INVALID_REQUEST', '订单未支付或已撤销，不能退款');
    if (totalFen !== order.total) throw amount.fail('total', '与原订单金额不一致');
    if (this.forOrder(order.outTradeNo).length >= MAX_REFUNDS_PER_ORDER) throw new V3Error(403, 'RULE_LIMIT', '退款次数超过限制');
    if (this.refundedFen(order.outTradeNo) + refundFen > order.total) throw new V3Error(403, 'NOT_ENOUGH', '申请退款金额超过订单可退金额');

    const refund = this.#newRefund(order, outRefundNo, refundFen, this.clock.nowMs());
    refund.fingerprint = fingerprint;
    if (reason !== undefined) refund.reason = reason;
    if (notifyUrl !== undefined) refund.notifyUrl = notifyUrl;
    if (fundsAccount !== undefined) refund.fundsAccount = fundsAccount;
    this.#refunds.set(outRefundNo, refund);
    order.state = 'REFUND';
    this.#schedule(refund);
    return { status: 200, json: refundJson(refund) };
  }

  #query(ctx: V3Context): V3Reply {
    const refund = this.#refunds.get(ctx.req.params[0] ?? '');
    if (!refund) throw new V3Error(404, 'RESOURCE_NOT_EXISTS', '退款单不存在');
    return { status: 200, json: refundJson(refund) };
  }
}
