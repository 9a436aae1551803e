/**
 * Payment-code payments over APIv2 (§5): `/pay/micropay`, `/pay/orderquery`, `/secapi/pay/reverse`.
 * XML in, XML out (CDATA like WeChat), MD5 or HMAC-SHA256 signed with the APIv2 key.
 *
 * The shopper's behaviour is chosen per auth code with micropayScenario(); unknown codes pay at once.
 * There is no notification for payment-code payments: the cashier must query (the USERPAYING loop) and, when
 * unsure, reverse. SYSTEMERROR is simulated as "the payment actually went through", which is exactly the case a
 * cashier that does not query would get wrong. Not simulated: mutual TLS on /secapi (plain HTTP here).
 */
import { v2Sign, v2Verify, xmlBuild, randomNonce, type V2SignType } from './crypto.js';
import { compactChina, type Clock, type TimerRegistry } from './clock.js';
import { deriveOpenid } from './ids.js';
import { SimError, type Route, type SimRequest } from './http.js';
import { isPaid, TRADE_STATE_DESC, type Order, type OrderBook } from './orders.js';
import type { ResolvedConfig } from './config.js';
import type { RefundDesk } from './refunds.js';

export type MicropayScenario =
  'SUCCESS' | 'USERPAYING_THEN_SUCCESS' | 'USERPAYING_FOREVER' | 'AUTHCODEEXPIRE' | 'NOTENOUGH' | 'SYSTEMERROR';

const ERR_DES: Record<string, string> = {
  USERPAYING: '需要用户输入支付密码',
  AUTHCODEEXPIRE: '二维码已过期，请用户在微信上刷新后再试',
  NOTENOUGH: '余额不足',
  SYSTEMERROR: '系统超时',
  AUTH_CODE_INVALID: '请扫描微信支付授权码(以10/11/12/13/14/15为前缀的18位数字)',
  AUTH_CODE_USED: '每个二维码仅限使用一次，请刷新再试',
  ORDERPAID: '订单已支付',
  ORDERREVERSED: '订单已撤销',
  OUT_TRADE_NO_USED: '商户订单号重复',
  ORDERNOTEXIST: '此交易订单号不存在',
  PARAM_ERROR: '参数错误',
  TRADE_ERROR: '只能撤销付款码支付订单',
};

type Xml = Record<string, string | number | undefined>;

interface Shopper {
  scenario: MicropayScenario;
  openid?: string;
}

export class MicropayDesk {
  readonly #shoppers = new Map<string, Shopper>();
  /** Orders whose shopper is typing the password: when they become paid. */
  readonly #typing = new Map<string, { payableAtMs: number; openid: string; timer: NodeJS.Timeout | undefined }>();
  readonly #recall = new Map<string, number>();
  readonly #authCodeUsedBy = new Map<string, string>();

  constructor(
    private readonly config: ResolvedConfig,
    private readonly clock: Clock,
    private readonly timers: TimerRegistry,
    private readonly orders: OrderBook,
    private readonly refunds: RefundDesk,
  ) {}

  /** What happens when this auth code is scanned; `openid` is the shopper behind it (derived when omitted). */
  setScenario(authCode: string, scenario: MicropayScenario, openid?: string): void {
    if (!/^1[0-5]\d{16}$/.test(authCode)) throw new SimError(400, 'an auth code is 18 digits starting with 10..15');
    const shopper: Shopper = { scenario };
    if (openid !== undefined) shopper.openid = openid;
    this.#shoppers.set(authCode, shopper);
  }

  /** The shopper finishes typing the password now (USERPAYING → SUCCESS). */
  confirm(outTradeNo: string): Order {
    const order = this.orders.get(outTradeNo);
    const typing = this.#typing.get(outTradeNo);
    if (!order || !typing || order.state !== 'USERPAYING') throw new SimError(409, `order ${outTradeNo} is not waiting for a password`);
    this.#pay(order, typing.openid);
    return order;
  }

  /** The next `times` reverse calls for this order fail with recall=Y (the cashier must call again). */
  reverseRecall(outTradeNo: string, times: number): void {
    this.#recall.set(outTradeNo, times);
  }

  reset(): void {
    for (const t of this.#typing.values()) this.timers.clear(t.timer);
    this.#typing.clear();
    this.#shoppers.clear();
    this.#recall.clear();
    this.#authCodeUsedBy.clear();
  }

  routes(): Route[] {
    return [
      {
        kind: 'v2',
        method: 'POST',
        pattern: /^\/pay\/micropay$/,
        handle: ({ req, params }) => this.#guard(req, params, (p, t) => this.#micropay(p, t)),
      },
      {
        kind: 'v2',
        method: 'POST',
        pattern: /^\/pay\/orderquery$/,
        handle: ({ req, params }) => this.#guard(req, params, (p, t) => this.#orderquery(p, t)),
      },
      {
        kind: 'v2',
        method: 'POST',
        pattern: /^\/secapi\/pay\/reverse$/,
        handle: ({ req, params }) => this.#guard(req, params, (p, t) => this.#reverse(p, t)),
      },
    ];
  }

  #pay(order: Order, openid: string): void {
    const typing = this.#typing.get(order.outTradeNo);
    if (typing) this.timers.clear(typing.timer);
    this.#typing.delete(order.outTradeNo);
    this.orders.markPaid(order, openid, 0, this.clock.nowMs());
  }

  /** Lazily applies a password typed "by now" on the simulator clock (timers cover real time). */
  #settle(order: Order): void {
    const typing = this.#typing.get(order.outTradeNo);
    if (typing && order.state === 'USERPAYING' && this.clock.nowMs() >= typing.payableAtMs) this.#pay(order, typing.openid);
  }

  /** Transport-level checks shared by the three APIs: merchant, appid, signature. */
  #guard(_req: SimRequest, params: Record<string, string>, handle: (p: Record<string, string>, type: V2SignType) => Xml): string {
    const m = this.config.merchant;
    if (params['mch_id'] !== m.mchid) return xmlBuild({ return_code: 'FAIL', return_msg: 'mch_id参数错误' });
    if (!params['appid'] || !m.appids.has(params['appid'])) return xmlBuild({ return_code: 'FAIL', return_msg: 'appid和mch_id不匹配' });
    if (!params['nonce_str']) return xmlBuild({ return_code: 'FAIL', return_msg: 'nonce_str参数不能为空' });
    if (!v2Verify(params, m.apiV2Key)) return xmlBuild({ return_code: 'FAIL', return_msg: '签名错误', err_code: 'SIGNERROR' });
    const type: V2SignType = params['sign_type'] === 'HMAC-SHA256' ? 'HMAC-SHA256' : 'MD5';
    return this.#signed(handle(params, type), type);
  }

  /** Adds return_code/appid/mch_id/nonce_str and signs; WeChat signs every return_code=SUCCESS answer. */
  #signed(body: Xml, type: V2SignType): string {
    const m = this.config.merchant;
    // Signed with the algorithm the request used; the answer does not name it (the merchant knows).
    const out: Xml = { return_code: 'SUCCESS', return_msg: 'OK', appid: m.appid, mch_id: m.mchid, nonce_str: randomNonce(16), ...body };
    out['sign'] = v2Sign(out, m.apiV2Key, type);
    return xmlBuild(out);
  }

  #fail(errCode: string, extra: Xml = {}): Xml {
    return { result_code: 'FAIL', err_code: errCode, err_code_des: ERR_DES[errCode] ?? errCode, ...extra };
  }

  #paidFields(order: Order): Xml {
    return {
      openid: order.payerOpenid,
      is_subscribe: 'N',
      trade_type: order.tradeType,
      bank_type: order.bankType,
      total_fee: order.total,
      fee_type: 'CNY',
      cash_fee: order.total - order.couponFen,
      cash_fee_type: 'CNY',
      ...(order.couponFen > 0 ? { coupon_fee: order.couponFen } : {}),
      transaction_id: order.transactionId,
      out_trade_no: order.outTradeNo,
      attach: order.attach === '' ? undefined : order.attach,
      time_end: compactChina(order.successAtMs ?? 0),
    };
  }

  #micropay(p: Record<string, string>, _type: V2SignType): Xml {
    for (const k of ['body', 'out_trade_no', 'total_fee', 'spbill_create_ip', 'auth_code']) {
      if (!p[k]) return this.#fail('PARAM_ERROR', { err_code_des: `缺少参数${k}` });
    }
    const outTradeNo = p['out_trade_no'] ?? '';
    const authCode = p['auth_code'] ?? '';
    const total = Number(p['total_fee']);
    if (!/^[0-9A-Za-z_\-|*@]{1,32}$/.test(outTradeNo)) return this.#fail('PARAM_ERROR', { err_code_des: 'out_trade_no格式错误' });
    if (!/^[1-9]\d*$/.test(p['total_fee'] ?? '') || !Number.isSafeInteger(total))
      return this.#fail('PARAM_ERROR', { err_code_des: 'total_fee必须为正整数' });
    if (!/^1[0-5]\d{16}$/.test(authCode)) return this.#fail('AUTH_CODE_INVALID');

    const existing = this.orders.get(outTradeNo);
    const fingerprint = JSON.stringify({ authCode, total, body: p['body'] });
    if (existing) {
      // A cashier retrying the very same request gets the order's current outcome, never a second payment.
      if (existing.fingerprint !== fingerprint) return this.#fail('OUT_TRADE_NO_USED');
      this.#settle(existing);
      if (isPaid(existing) && existing.state !== 'REVOKED') return this.#fail('ORDERPAID');
      if (existing.state === 'REVOKED') return this.#fail('ORDERREVERSED');
      if (existing.state === 'USERPAYING') return this.#fail('USERPAYING');
      return this.#fail('OUT_TRADE_NO_USED');
    }
    const usedBy = this.#authCodeUsedBy.get(authCode);
    if (usedBy !== undefined) return this.#fail('AUTH_CODE_INVALID', { err_code_des: ERR_DES['AUTH_CODE_USED'] });
    this.#authCodeUsedBy.set(authCode, outTradeNo);

    const m = this.config.merchant;
    const now = this.clock.nowMs();
    const order: Order = {
      mchid: m.mchid,
      appid: p['appid'] ?? m.appid,
      outTradeNo,
      tradeType: 'MICROPAY',
      description: p['body'] ?? '',
      attach: p['attach'] ?? '',
      total,
      fingerprint,
      createdAtMs: now,
      state: 'NOTPAY',
      couponFen: 0,
      bankType: 'OTHERS',
      injected: false,
    };
    if (p['device_info']) order.deviceId = p['device_info'];
    this.orders.add(order);
    const shopper = this.#shoppers.get(authCode) ?? { scenario: 'SUCCESS' };
    const openid = shopper.openid ?? deriveOpenid(order.appid, `authcode:${authCode}`);
    switch (shopper.scenario) {
      case 'SUCCESS':
        this.#pay(order, openid);
        return { result_code: 'SUCCESS', device_info: p['device_info'], ...this.#paidFields(order) };
      case 'USERPAYING_THEN_SUCCESS': {
        order.state = 'USERPAYING';
        const delay = this.config.settings.userPayingMs;
        const timer = this.timers.set(() => {
          if (order.state === 'USERPAYING') this.#pay(order, openid);
        }, delay);
        this.#typing.set(outTradeNo, { payableAtMs: now + delay, openid, timer });
        return this.#fail('USERPAYING');
      }
      case 'USERPAYING_FOREVER':
        order.state = 'USERPAYING';
        return this.#fail('USERPAYING');
      case 'AUTHCODEEXPIRE':
      case 'NOTENOUGH':
        order.state = 'PAYERROR';
        return this.#fail(shopper.scenario);
      case 'SYSTEMERROR':
        this.#pay(order, openid);
        return this.#fail('SYSTEMERROR');
    }
  }

  #lookup(p: Record<string, string>): Order | undefined {
    if (p['transaction_id']) return this.orders.byTransactionId(p['transaction_id']);
    return p['out_trade_no'] ? this.orders.get(p['out_trade_no']) : undefined;
  }

  #orderquery(p: Record<string, string>, _type: V2SignType): Xml {
    if (!p['transaction_id'] && !p['out_trade_no'])
      return this.#fail('PARAM_ERROR', { err_code_des: 'transaction_id和out_trade_no必须二选一' });
    const order = this.#lookup(p);
    if (!order) return this.#fail('ORDERNOTEXIST');
    this.#settle(order);
    const base: Xml = { result_code: 'SUCCESS', device_info: order.deviceId };
    const state = { trade_state: order.state, trade_state_desc: TRADE_STATE_DESC[order.state] };
    if (!isPaid(order)) return { ...base, out_trade_no: order.outTradeNo, total_fee: order.total, ...state };
    return { ...base, ...this.#paidFields(order), ...state };
  }

  #reverse(p: Record<string, string>, _type: V2SignType): Xml {
    if (!p['transaction_id'] && !p['out_trade_no'])
      return this.#fail('PARAM_ERROR', { err_code_des: 'transaction_id和out_trade_no必须二选一' });
    const order = this.#lookup(p);
    if (!order) return this.#fail('ORDERNOTEXIST', { recall: 'N' });
    if (order.tradeType !== 'MICROPAY') return this.#fail('TRADE_ERROR', { recall: 'N' });
    const recall = this.#recall.get(order.outTradeNo) ?? 0;
    if (recall > 0) {
      this.#recall.set(order.outTradeNo, recall - 1);
      return this.#fail('SYSTEMERROR', { recall: 'Y' });
    }
    this.#settle(order);
    const typing = this.#typing.get(order.outTradeNo);
    if (typing) this.timers.clear(typing.timer);
    this.#typing.delete(order.outTradeNo);
    if (order.state !== 'REVOKED') {
      // A paid order is refunded in full (what is left of it) before it is revoked.
      if (isPaid(order) && this.refunds.refundedFen(order.outTradeNo) < order.total) this.refunds.refundInternally(order, '撤销');
      order.state = 'REVOKED';
    }
    return { result_code: 'SUCCESS', recall: 'N' };
  }
}
