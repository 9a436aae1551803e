/**
 * Orders (§5) and the payment itself: create (NATIVE/JSAPI, re-entrant), query (by out_trade_no and by
 * transaction_id), close, the shopper paying (`pay`), and trades injected behind the merchant's back.
 *
 * One store holds every order, including payment-code (MICROPAY) ones, because WeChat's query, refund and
 * bill APIs see them all the same way.
 */
import { deriveOpenid, codeUrl, prepayId, transactionId } from './ids.js';
import { parseRfc3339, rfc3339China, type Clock } from './clock.js';
import { SimError, V3Error, paramError, sortKeysDeep, v3Fields, type Route, type V3Context, type V3Reply } from './http.js';
import type { ResolvedConfig } from './config.js';
import type { Notifier } from './notify.js';

export type TradeType = 'NATIVE' | 'JSAPI' | 'MICROPAY';
export type TradeState = 'NOTPAY' | 'SUCCESS' | 'REFUND' | 'CLOSED' | 'REVOKED' | 'USERPAYING' | 'PAYERROR';

export const TRADE_STATE_DESC: Record<TradeState, string> = {
  SUCCESS: '支付成功',
  REFUND: '转入退款',
  NOTPAY: '订单未支付',
  CLOSED: '订单已关闭',
  REVOKED: '订单已撤销',
  USERPAYING: '需要用户输入支付密码',
  PAYERROR: '支付失败',
};

export interface Order {
  mchid: string;
  appid: string;
  outTradeNo: string;
  tradeType: TradeType;
  description: string;
  /** Absent for micropay and injected trades: nobody gets notified. */
  notifyUrl?: string;
  attach: string;
  /** Order amount in fen. */
  total: number;
  /** JSAPI: given at creation; others: set when paid. */
  payerOpenid?: string;
  deviceId?: string;
  /** Canonical request parameters, to tell a retry (identical) from a conflicting re-use. */
  fingerprint: string;
  createdAtMs: number;
  timeExpireMs?: number;
  state: TradeState;
  codeUrl?: string;
  prepayId?: string;
  transactionId?: string;
  successAtMs?: number;
  /** Fen paid with a (merchant-funded, NOCASH) coupon; payer_total = total − couponFen. */
  couponFen: number;
  couponId?: string;
  bankType: string;
  /** Created with injectTrade(): paid at WeChat, never announced to the merchant. */
  injected: boolean;
}

export interface PromotionDetail {
  coupon_id: string;
  name: string;
  scope: 'GLOBAL' | 'SINGLE';
  type: 'CASH' | 'NOCASH';
  amount: number;
  stock_id: string;
  wechatpay_contribute: number;
  merchant_contribute: number;
  other_contribute: number;
  currency: 'CNY';
}

/** The Transaction object (§3 table). Optional fields are absent until the order is paid. */
export interface TransactionJson {
  mchid: string;
  appid: string;
  out_trade_no: string;
  transaction_id?: string;
  trade_type?: TradeType;
  trade_state: TradeState;
  trade_state_desc: string;
  bank_type?: string;
  attach?: string;
  success_time?: string;
  payer?: { openid: string };
  amount: { total: number; payer_total?: number; currency?: 'CNY'; payer_currency: 'CNY' };
  scene_info?: { device_id: string };
  promotion_detail?: PromotionDetail[];
}

export interface PayOptions {
  /** The shopper. JSAPI orders already name one (passing another is refused); NATIVE defaults to a simulated shopper. */
  openid?: string;
  /** Coupon in fen (0 ≤ coupon < total): payer_total = total − coupon, with a promotion_detail entry. */
  couponFen?: number;
}

export interface InjectTradeInput {
  outTradeNo?: string;
  totalFen: number;
  couponFen?: number;
  openid?: string;
  /** Epoch ms or RFC 3339; default now. */
  successTime?: number | string;
  tradeType?: TradeType;
  description?: string;
  attach?: string;
}

const OUT_TRADE_NO = /^[0-9A-Za-z_\-|*]{6,32}$/;
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

function canonical(value: unknown): string {
  return JSON.stringify(sortKeysDeep(value));
}

/**
 * notify_url rules: https (http is accepted for loopback hosts, or any host with allowHttpNotifyUrl), at most
 * 255 chars, and no query string (WeChat: the URL must be directly reachable and carry no parameters).
 */
export function validateNotifyUrl(value: string, allowHttpAnyHost: boolean): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw paramError('/notify_url', value, '不是合法的URL');
  }
  const httpAllowed = allowHttpAnyHost || LOOPBACK.has(url.hostname);
  if (!(url.protocol === 'https:' || (url.protocol === 'http:' && httpAllowed)))
    throw paramError('/notify_url', value, '必须以https://开头');
  if (url.search !== '') throw paramError('/notify_url', value, '不能携带查询参数');
  if (value.length > 255) throw paramError('/notify_url', value, '长度不能超过255');
}

export function isPaid(order: Order): boolean {
  return order.transactionId !== undefined && order.successAtMs !== undefined;
}

/** Transaction in the key order observed in real notifications (mchid first). */
export function transactionJson(order: Order): TransactionJson {
  if (!isPaid(order)) {
    const pending: TransactionJson = {
      mchid: order.mchid,
      appid: order.appid,
      out_trade_no: order.outTradeNo,
      trade_state: order.state,
      trade_state_desc: TRADE_STATE_DESC[order.state],
      amount: { total: order.total, payer_currency: 'CNY' },
      promotion_detail: [],
    };
    if (order.tradeType === 'MICROPAY') pending.trade_type = 'MICROPAY';
    return pending;
  }
  const tx: TransactionJson = {
    mchid: order.mchid,
    appid: order.appid,
    out_trade_no: order.outTradeNo,
    transaction_id: order.transactionId,
    trade_type: order.tradeType,
    trade_state: order.state,
    trade_state_desc: TRADE_STATE_DESC[order.state],
    bank_type: order.bankType,
    attach: order.attach,
    success_time: rfc3339China(order.successAtMs ?? 0),
    payer: { openid: order.payerOpenid ?? '' },
    amount: { total: order.total, payer_total: order.total - order.couponFen, currency: 'CNY', payer_currency: 'CNY' },
  };
  if (order.deviceId !== undefined) tx.scene_info = { device_id: order.deviceId };
  if (order.couponFen > 0) {
    tx.promotion_detail = [
      {
        coupon_id: order.couponId ?? '',
        name: '模拟代金券',
        scope: 'GLOBAL',
        type: 'NOCASH',
        amount: order.couponFen,
        stock_id: '16764277',
        wechatpay_contribute: 0,
        merchant_contribute: order.couponFen,
        other_contribute: 0,
        currency: 'CNY',
      },
    ];
  }
  return tx;
}

export class OrderBook {
  readonly #orders = new Map<string, Order>();
  readonly #byTransactionId = new Map<string, string>();

  constructor(
    private readonly config: ResolvedConfig,
    private readonly clock: Clock,
    private readonly notifier: Notifier,
  ) {}

  get(outTradeNo: string): Order | undefined {
    return this.#orders.get(outTradeNo);
  }

  byTransactionId(id: string): Order | undefined {
    const no = this.#byTransactionId.get(id);
    return no === undefined ? undefined : this.#orders.get(no);
  }

  list(): Order[] {
    return [...this.#orders.values()];
  }

  /** Stores a new order (used by micropay too). */
  add(order: Order): void {
    this.#orders.set(order.outTradeNo, order);
  }

  /** Marks an order paid at `atMs`. Shared by pay(), micropay and injectTrade(). */
  markPaid(order: Order, openid: string, couponFen: number, atMs: number): void {
    if (!Number.isSafeInteger(couponFen) || couponFen < 0 || couponFen >= order.total) {
      throw new SimError(400, `couponFen must be an integer in [0, ${order.total - 1}]`);
    }
    order.state = 'SUCCESS';
    order.payerOpenid = openid;
    order.couponFen = couponFen;
    if (couponFen > 0) order.couponId = String(30_000_000_000 + Math.floor(Math.random() * 9_999_999_999));
    order.transactionId = transactionId(atMs);
    order.successAtMs = atMs;
    this.#byTransactionId.set(order.transactionId, order.outTradeNo);
  }

  /** The shopper pays a NATIVE/JSAPI order; WeChat then notifies the order's notify_url. */
  pay(outTradeNo: string, options: PayOptions = {}): { transaction: TransactionJson; eventId?: string; firstDelivery: Promise<void> } {
    const order = this.#orders.get(outTradeNo);
    if (!order) throw new SimError(404, `order ${outTradeNo} does not exist`);
    if (order.tradeType === 'MICROPAY') throw new SimError(409, 'payment-code orders are paid through micropay scenarios');
    if (order.state !== 'NOTPAY') throw new SimError(409, `order ${outTradeNo} is ${order.state}, not NOTPAY`);
    const now = this.clock.nowMs();
    if (order.timeExpireMs !== undefined && now > order.timeExpireMs) throw new SimError(409, `order ${outTradeNo} expired at time_expire`);
    let openid = options.openid;
    if (order.tradeType === 'JSAPI') {
      if (openid !== undefined && openid !== order.payerOpenid)
        throw new SimError(409, `JSAPI order ${outTradeNo} belongs to ${order.payerOpenid ?? '?'}`);
      openid = order.payerOpenid;
    }
    this.markPaid(order, openid ?? deriveOpenid(order.appid, `shopper:${outTradeNo}`), options.couponFen ?? 0, now);
    const sent = this.notifyPaid(order);
    const result: { transaction: TransactionJson; eventId?: string; firstDelivery: Promise<void> } = {
      transaction: transactionJson(order),
      firstDelivery: sent?.firstRound ?? Promise.resolve(),
    };
    if (sent) result.eventId = sent.event.id;
    return result;
  }

  /** Sends TRANSACTION.SUCCESS (payments notify only on success, §3). */
  notifyPaid(order: Order): ReturnType<Notifier['send']> | undefined {
    if (order.notifyUrl === undefined) return undefined;
    return this.notifier.send({
      eventType: 'TRANSACTION.SUCCESS',
      summary: '支付成功',
      originalType: 'transaction',
      associatedData: 'transaction',
      plaintext: JSON.stringify(transactionJson(order)),
      url: order.notifyUrl,
      outTradeNo: order.outTradeNo,
    });
  }

  /** A trade paid at WeChat that the merchant never heard of (no notification): for reconciliation tests. */
  injectTrade(input: InjectTradeInput): TransactionJson {
    const m = this.config.merchant;
    const outTradeNo = input.outTradeNo ?? `SIM${Date.now()}${Math.floor(Math.random() * 1e6)}`;
    if (!OUT_TRADE_NO.test(outTradeNo)) throw new SimError(400, `invalid out_trade_no ${outTradeNo}`);
    if (this.#orders.has(outTradeNo)) throw new SimError(409, `order ${outTradeNo} already exists`);
    if (!Number.isSafeInteger(input.totalFen) || input.totalFen <= 0) throw new SimError(400, 'totalFen must be a positive integer');
    const at =
      input.successTime === undefined
        ? this.clock.nowMs()
        : typeof input.successTime === 'number'
          ? input.successTime
          : parseRfc3339(input.successTime);
    if (at === undefined) throw new SimError(400, 'successTime must be epoch ms or RFC 3339 with an offset');
    const order: Order = {
      mchid: m.mchid,
      appid: m.appid,
      outTradeNo,
      tradeType: input.tradeType ?? 'NATIVE',
      description: input.description ?? '线下门店消费',
      attach: input.attach ?? '',
      total: input.totalFen,
      fingerprint: 'injected',
      createdAtMs: at,
      state: 'NOTPAY',
      couponFen: 0,
      bankType: 'OTHERS',
      injected: true,
    };
    this.#orders.set(outTradeNo, order);
    this.markPaid(order, input.openid ?? deriveOpenid(m.appid, `shopper:${outTradeNo}`), input.couponFen ?? 0, at);
    return transactionJson(order);
  }

  reset(): void {
    this.#orders.clear();
    this.#byTransactionId.clear();
  }

  // -------------------------------------------------------------------------------------------------------
  // HTTP

  routes(): Route[] {
    return [
      { kind: 'v3', method: 'POST', pattern: /^\/v3\/pay\/transactions\/(native|jsapi)$/, handle: (ctx) => this.#create(ctx) },
      { kind: 'v3', method: 'GET', pattern: /^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)$/, handle: (ctx) => this.#query(ctx, 'out') },
      { kind: 'v3', method: 'GET', pattern: /^\/v3\/pay\/transactions\/id\/([^/]+)$/, handle: (ctx) => this.#query(ctx, 'id') },
      { kind: 'v3', method: 'POST', pattern: /^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)\/close$/, handle: (ctx) => this.#close(ctx) },
    ];
  }

  async #create(ctx: V3Context): Promise<V3Reply> {
    const tradeType: TradeType = ctx.req.params[0] === 'jsapi' ? 'JSAPI' : 'NATIVE';
    const f = v3Fields(ctx.json);
    const appid = f.string('appid');
    const mchid = f.string('mchid');
    const description = f.string('description');
    if ([...description].length > 127) throw f.fail('description', '长度不能超过127');
    const outTradeNo = f.string('out_trade_no');
    if (!OUT_TRADE_NO.test(outTradeNo)) throw f.fail('out_trade_no', '只能是6-32位数字、大小写字母_-|*');
    const notifyUrl = f.string('notify_url');
    validateNotifyUrl(notifyUrl, this.config.allowHttpNotifyUrl);
    const attach = f.optString('attach') ?? '';
    if ([...attach].length > 128) throw f.fail('attach', '长度不能超过128');
    const timeExpire = f.optString('time_expire');
    const timeExpireMs = timeExpire === undefined ? undefined : parseRfc3339(timeExpire);
    if (timeExpire !== undefined && timeExpireMs === undefined) throw f.fail('time_expire', '不是合法的RFC3339时间');
    const amount = f.object('amount');
    const total = amount.int('total');
    if (total <= 0) throw amount.fail('total', '必须大于0');
    const currency = amount.optString('currency');
    if (currency !== undefined && currency !== 'CNY') throw amount.fail('currency', '只支持CNY');
    let openid: string | undefined;
    if (tradeType === 'JSAPI') {
      if (!f.has('payer')) throw paramError('/payer', undefined, '必填性规则校验失败，此字段为必填项');
      openid = f.object('payer').string('openid');
    }
    const deviceId = f.optObject('scene_info')?.optString('device_id');
    if (mchid !== ctx.mchid) throw new V3Error(401, 'SIGN_ERROR', 'http header中的mchid与post payload中的mchid不匹配');
    if (!this.config.merchant.appids.has(appid)) throw new V3Error(400, 'APPID_MCHID_NOT_MATCH', 'appid和mch_id不匹配');

    const fingerprint = canonical({ tradeType, body: ctx.json });
    const existing = this.#orders.get(outTradeNo);
    if (existing) {
      if (existing.fingerprint !== fingerprint) throw new V3Error(400, 'INVALID_REQUEST', '请求重入时，参数与首次请求时不一致');
      if (isPaid(existing)) throw new V3Error(400, 'ORDERPAID', '该订单已支付');
      if (existing.state === 'CLOSED') throw new V3Error(400, 'ORDER_CLOSED', '订单已关闭');
      return { status: 200, json: existing.codeUrl !== undefined ? { code_url: existing.codeUrl } : { prepay_id: existing.prepayId } };
    }
    const now = this.clock.nowMs();
    const order: Order = {
      mchid,
      appid,
      outTradeNo,
      tradeType,
      description,
      notifyUrl,
      attach,
      total,
      fingerprint,
      createdAtMs: now,
      state: 'NOTPAY',
      couponFen: 0,
      bankType: 'OTHERS',
      injected: false,
    };
    if (openid !== undefined) order.payerOpenid = openid;
    if (deviceId !== undefined) order.deviceId = deviceId;
    if (timeExpireMs !== undefined) order.timeExpireMs = timeExpireMs;
    if (tradeType === 'NATIVE') order.codeUrl = codeUrl();
    else order.prepayId = prepayId(now);
    this.#orders.set(outTradeNo, order);

    const json = tradeType === 'NATIVE' ? { code_url: order.codeUrl } : { prepay_id: order.prepayId };
    const early = this.notifier.faultsFor(outTradeNo).beforeResponse;
    if (early) {
      // The race the merchant must survive: the payment notification arrives before it has the prepay answer.
      const shopper = typeof early === 'object' ? early : {};
      const payOptions: PayOptions = { couponFen: shopper.couponFen ?? 0 };
      if (tradeType === 'NATIVE' && shopper.openid !== undefined) payOptions.openid = shopper.openid;
      const { firstDelivery } = this.pay(outTradeNo, payOptions);
      await firstDelivery;
    }
    return { status: 200, json };
  }

  #find(ctx: V3Context, by: 'out' | 'id'): Order {
    const mchid = ctx.req.query.get('mchid');
    if (!mchid) throw paramError('/mchid', null, '必填性规则校验失败，此字段为必填项', 'query');
    if (mchid !== ctx.mchid) throw new V3Error(401, 'SIGN_ERROR', 'http header中的mchid与query中的mchid不匹配');
    const key = ctx.req.params[0] ?? '';
    const order = by === 'out' ? this.#orders.get(key) : this.byTransactionId(key);
    if (!order || order.mchid !== mchid) throw new V3Error(404, 'ORDER_NOT_EXIST', '订单不存在');
    return order;
  }

  #query(ctx: V3Context, by: 'out' | 'id'): V3Reply {
    // Query answers list keys alphabetically (as in the official examples); notifications keep the observed order.
    return { status: 200, json: sortKeysDeep(transactionJson(this.#find(ctx, by))) };
  }

  #close(ctx: V3Context): V3Reply {
    const f = v3Fields(ctx.json);
    const mchid = f.string('mchid');
    if (mchid !== ctx.mchid) throw new V3Error(401, 'SIGN_ERROR', 'http header中的mchid与post payload中的mchid不匹配');
    const order = this.#orders.get(ctx.req.params[0] ?? '');
    if (!order || order.mchid !== mchid) throw new V3Error(404, 'ORDER_NOT_EXIST', '订单不存在');
    if (order.tradeType === 'MICROPAY') throw new V3Error(400, 'INVALID_REQUEST', '付款码支付订单不能关单，请调用撤销接口');
    if (isPaid(order)) throw new V3Error(400, 'ORDERPAID', '订单已支付');
    order.state = 'CLOSED';
    return { status: 204 };
  }
}
