/**
 * What the rest of the server needs from WeChat Pay and the mini-program API. The implementations
 * (pay-client.ts, notify-verifier.ts, mp-client.ts) speak the real protocol; tests run them against
 * the simulator in test/sim/wechat.
 */

/** A WeChat Pay transaction as returned by order queries and carried in TRANSACTION.SUCCESS. */
export interface WxTransaction {
  appid: string;
  mchid: string;
  out_trade_no: string;
  transaction_id?: string;
  trade_type?: string;
  trade_state: 'SUCCESS' | 'REFUND' | 'NOTPAY' | 'CLOSED' | 'REVOKED' | 'USERPAYING' | 'PAYERROR';
  trade_state_desc?: string;
  success_time?: string;
  payer?: { openid: string };
  amount?: { total: number; payer_total?: number; currency?: string; payer_currency?: string };
  attach?: string;
}

/** A refund as returned by the refund APIs and carried (decrypted) in REFUND.* notifications. */
export interface WxRefund {
  out_refund_no: string;
  refund_id?: string;
  out_trade_no: string;
  transaction_id?: string;
  /** From the refund API: PROCESSING | SUCCESS | CLOSED | ABNORMAL; notifications call it refund_status. */
  status: 'PROCESSING' | 'SUCCESS' | 'CLOSED' | 'ABNORMAL';
  success_time?: string;
  amount: { total: number; refund: number; payer_total?: number; payer_refund?: number };
  mchid?: string;
}

export interface NativeOrderRequest {
  outTradeNo: string;
  description: string;
  totalFen: number;
  notifyUrl: string;
  /** RFC3339; WeChat closes the order itself after this. */
  timeExpire?: string;
  attach?: string;
}

export interface JsapiOrderRequest extends NativeOrderRequest {
  openid: string;
}

/** Parameters for Taro.requestPayment (appId is signed but not passed). */
export interface JsapiPayParams {
  timeStamp: string;
  nonceStr: string;
  package: string;
  signType: 'RSA';
  paySign: string;
}

export interface RefundRequest {
  outTradeNo: string;
  outRefundNo: string;
  refundFen: number;
  totalFen: number;
  reason?: string;
  notifyUrl: string;
}

/** One row of the daily trade bill (yuan strings already converted to integer fen). */
export interface TradeBillRow {
  tradeTime: string;
  transactionId: string;
  outTradeNo: string;
  openid: string;
  tradeType: string;
  tradeState: string;
  totalFen: number;
  couponFen: number;
  refundId: string;
  outRefundNo: string;
  refundFen: number;
  refundState: string;
}

export type MicropayOutcome =
  | { state: 'SUCCESS'; transaction: WxTransaction }
  | { state: 'USERPAYING' }
  | { state: 'FAILED'; code: string; message: string }
  /** SYSTEMERROR / BANKERROR / network: the outcome is unknown, query then reverse. */
  | { state: 'UNKNOWN'; code: string; message: string };

export interface MicropayRequest {
  outTradeNo: string;
  authCode: string;
  totalFen: number;
  description: string;
  clientIp: string;
  attach?: string;
}

/** Thrown by the clients for a business error answer: status, WeChat's code and message. */
export class WxApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(`${status} ${code}: ${message}`);
    this.name = 'WxApiError';
  }
}

export interface WxPayClient {
  readonly mchid: string;
  readonly appid: string;
  createNative(req: NativeOrderRequest): Promise<{ codeUrl: string }>;
  createJsapi(req: JsapiOrderRequest): Promise<{ prepayId: string }>;
  jsapiPayParams(prepayId: string): JsapiPayParams;
  /** null when WeChat does not know the order (404 ORDER_NOT_EXIST). */
  queryByOutTradeNo(outTradeNo: string): Promise<WxTransaction | null>;
  queryByTransactionId(transactionId: string): Promise<WxTransaction | null>;
  close(outTradeNo: string): Promise<void>;
  refund(req: RefundRequest): Promise<WxRefund>;
  queryRefund(outRefundNo: string): Promise<WxRefund | null>;
  /** The trade bill of a China date (YYYY-MM-DD); [] when WeChat has no statement for that day. */
  tradeBill(date: string): Promise<TradeBillRow[]>;
  /** APIv2 payment-code payment (付款码). */
  micropay(req: MicropayRequest): Promise<MicropayOutcome>;
  /** APIv2 order query, for the USERPAYING loop. */
  orderQueryV2(outTradeNo: string): Promise<WxTransaction | null>;
  /** APIv2 reverse; true when WeChat asks to call again (recall=Y). */
  reverse(outTradeNo: string): Promise<{ recall: boolean }>;
}

export type NotificationCheck =
  | {
      ok: true;
      eventId: string;
      eventType: string;
      /** The decrypted resource (a transaction or a refund), parsed but not yet validated. */
      resource: unknown;
    }
  | {
      ok: false;
      /** Why it was refused (logged, never sent to WeChat in detail). */
      reason: 'probe' | 'missing_headers' | 'stale_timestamp' | 'unknown_serial' | 'bad_signature' | 'bad_envelope' | 'decrypt_failed';
    };

/** Verifies a notification over its raw body bytes and decrypts its resource (AES-GCM tag checked). */
export interface NotificationVerifier {
  verify(headers: Record<string, string | string[] | undefined>, rawBody: Buffer, nowSeconds?: number): NotificationCheck;
}

export interface MiniProgramClient {
  /** wx.login code → openid (and unionid when bound). Throws WxApiError (40029 invalid/used code …). */
  code2Session(code: string): Promise<{ openid: string; unionid?: string }>;
  /** getPhoneNumber button code → the pure phone number. */
  phoneNumber(code: string): Promise<{ purePhoneNumber: string; countryCode: string }>;
  /**
   * Sends a subscribe message. 'refused' for 43101 (no subscription left: give up); throws for
   * errors worth a retry. Refreshes the access token once on 40001/42001.
   */
  sendSubscribe(msg: {
    openid: string;
    templateId: string;
    page?: string;
    data: Record<string, { value: string }>;
  }): Promise<'sent' | 'refused'>;
}
