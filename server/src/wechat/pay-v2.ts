/**
 * Payment-code payments over APIv2 (§5): /pay/micropay, /pay/orderquery, /secapi/pay/reverse. XML in and
 * out, MD5-signed with the APIv2 key.
 *
 * Why not the plugin's v2 client: it turns every result_code=FAIL answer into an error BEFORE checking the
 * answer's sign, so USERPAYING / SYSTEMERROR answers would arrive unverified. Here every return_code=SUCCESS
 * answer must carry a valid sign (WeChat signs all of them), whatever its result_code.
 *
 * Mutual TLS: the real /secapi/pay/reverse demands the merchant API certificate as a client certificate.
 * Pass `secapiTls` (WXPAY_MERCHANT_CERT_FILE + the merchant key); the simulator is plain HTTP and needs none.
 */
import { Agent as HttpsAgent } from 'node:https';
import type { Agent as HttpAgent } from 'node:http';
import axios, { type AxiosInstance } from 'axios';
import { WxSignatureError, WxTransportError, WxApiError } from './errors.js';
import type { MicropayOutcome, MicropayRequest, WxTransaction } from './types.js';
import { randomNonce, v2SignMd5, v2VerifyMd5, xmlBuild, xmlParse, type V2Params } from './wx-crypto.js';

export interface V2ClientOptions {
  baseUrl: string;
  mchid: string;
  appid: string;
  apiV2Key: string;
  timeoutMs: number;
  micropayTimeoutMs: number;
  httpAgent?: HttpAgent;
  httpsAgent?: HttpsAgent;
  /** PEM client certificate + key for /secapi (mutual TLS). */
  secapiTls?: { cert: string; key: string } | null;
}

/** Final failures of a payment-code payment: the shopper was not charged by THIS request. */
const DEFINITE_FAILURES = new Set([
  'AUTHCODEEXPIRE',
  'AUTH_CODE_INVALID',
  'AUTH_CODE_ERROR',
  'NOTENOUGH',
  'NOTSUPORTCARD',
  'ORDERCLOSED',
  'ORDERREVERSED',
  'OUT_TRADE_NO_USED',
  'PARAM_ERROR',
  'NOAUTH',
  'SIGNERROR',
  'XML_FORMAT_ERROR',
  'LACK_PARAMS',
  'NOT_UTF8',
  'REQUIRE_POST_METHOD',
  'INVALID_REQUEST',
  'TRADE_ERROR',
  'BUYER_MISMATCH',
  'APPID_NOT_EXIST',
  'MCHID_NOT_EXIST',
  'APPID_MCHID_NOT_MATCH',
]);

const TRADE_STATES = ['SUCCESS', 'REFUND', 'NOTPAY', 'CLOSED', 'REVOKED', 'USERPAYING', 'PAYERROR'] as const;
type TradeState = (typeof TRADE_STATES)[number];
const isTradeState = (v: string | undefined): v is TradeState => TRADE_STATES.some((s) => s === v);

/** `20260122143005` (China time) → `2026-01-22T14:30:05+08:00`, the v3 shape the rest of the server reads. */
export function v2TimeToRfc3339(compact: string): string | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(compact);
  return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}+08:00` : undefined;
}

function fen(value: string | undefined, field: string): number {
  if (value === undefined || !/^\d{1,15}$/.test(value)) throw new Error(`v2 answer: ${field} is not an amount in fen (${String(value)})`);
  return Number(value);
}

/** A v2 order (micropay success or orderquery) in the v3 Transaction shape. */
function transactionFromV2(f: Record<string, string>, state: TradeState): WxTransaction {
  const tx: WxTransaction = {
    appid: f['appid'] ?? '',
    mchid: f['mch_id'] ?? '',
    out_trade_no: f['out_trade_no'] ?? '',
    trade_state: state,
  };
  if (f['transaction_id']) tx.transaction_id = f['transaction_id'];
  if (f['trade_type']) tx.trade_type = f['trade_type'];
  if (f['trade_state_desc']) tx.trade_state_desc = f['trade_state_desc'];
  const success = f['time_end'] ? v2TimeToRfc3339(f['time_end']) : undefined;
  if (success) tx.success_time = success;
  if (f['openid']) tx.payer = { openid: f['openid'] };
  if (f['attach'] !== undefined) tx.attach = f['attach'];
  if (f['total_fee'] !== undefined) {
    tx.amount = { total: fen(f['total_fee'], 'total_fee'), currency: f['fee_type'] || 'CNY' };
    // cash_fee = what the shopper paid (total − coupons): v3's payer_total.
    if (f['cash_fee'] !== undefined) tx.amount.payer_total = fen(f['cash_fee'], 'cash_fee');
  }
  return tx;
}

type V2Answer = Record<string, string>;

export class V2Client {
  readonly #http: AxiosInstance;
  readonly #secapiAgent: HttpsAgent | undefined;

  constructor(private readonly o: V2ClientOptions) {
    this.#http = axios.create({
      baseURL: o.baseUrl,
      timeout: o.timeoutMs,
      maxRedirects: 0,
      responseType: 'text',
      // Keep the raw text: the sign is checked over the parsed fields, never trust a transformed body.
      transformResponse: [(d: unknown) => d],
      validateStatus: () => true,
      headers: { 'Content-Type': 'text/xml; charset=utf-8', Accept: 'text/xml, application/xml' },
      ...(o.httpAgent ? { httpAgent: o.httpAgent } : {}),
      ...(o.httpsAgent ? { httpsAgent: o.httpsAgent } : {}),
    });
    this.#secapiAgent = o.secapiTls ? new HttpsAgent({ cert: o.secapiTls.cert, key: o.secapiTls.key, keepAlive: true }) : o.httpsAgent;
  }

  /** POSTs signed XML; returns the answer's fields once its sign checks out (return_code=SUCCESS answers). */
  async #post(path: string, params: V2Params, opts: { timeoutMs?: number; secapi?: boolean } = {}): Promise<V2Answer> {
    const full: V2Params = { appid: this.o.appid, mch_id: this.o.mchid, nonce_str: randomNonce(), ...params };
    full['sign'] = v2SignMd5(full, this.o.apiV2Key);
    let status: number;
    let text: unknown;
    try {
      const res = await this.#http.post<unknown>(path, xmlBuild(full), {
        timeout: opts.timeoutMs ?? this.o.timeoutMs,
        ...(opts.secapi && this.#secapiAgent ? { httpsAgent: this.#secapiAgent } : {}),
      });
      status = res.status;
      text = res.data;
    } catch (err) {
      const code = axios.isAxiosError(err) ? err.code : undefined;
      throw new WxTransportError(`${path}: ${err instanceof Error ? err.message : String(err)}`, code);
    }
    // A gateway error page (502…) is not WeChat's answer: nothing is known about the payment.
    if (status !== 200 || typeof text !== 'string') throw new WxTransportError(`${path}: HTTP ${status}`, `HTTP_${status}`);
    let fields: V2Answer;
    try {
      fields = xmlParse(text);
    } catch (err) {
      throw new WxTransportError(`${path}: unreadable XML answer: ${err instanceof Error ? err.message : String(err)}`, 'BAD_XML');
    }
    if (fields['return_code'] === 'SUCCESS' && !v2VerifyMd5(fields, this.o.apiV2Key)) {
      throw new WxSignatureError('bad_sign', status, `${path}: the answer's sign does not match the APIv2 key`);
    }
    return fields;
  }

  async micropay(req: MicropayRequest): Promise<MicropayOutcome> {
    let f: V2Answer;
    try {
      f = await this.#post(
        '/pay/micropay',
        {
          body: req.description,
          out_trade_no: req.outTradeNo,
          total_fee: req.totalFen,
          spbill_create_ip: req.clientIp,
          auth_code: req.authCode,
          attach: req.attach,
        },
        { timeoutMs: this.o.micropayTimeoutMs },
      );
    } catch (err) {
      // No trustworthy answer: the shopper may or may not have paid. Query, then reverse.
      const code =
        err instanceof WxSignatureError ? 'SIGN_VERIFY_FAILED' : err instanceof WxTransportError ? (err.code ?? 'NETWORK') : 'ERROR';
      return { state: 'UNKNOWN', code, message: err instanceof Error ? err.message : String(err) };
    }
    if (f['return_code'] !== 'SUCCESS') {
      // return_code is the transport flag, not the trade's: WeChat documents no guarantee about the payment.
      return { state: 'UNKNOWN', code: f['err_code'] ?? 'RETURN_FAIL', message: f['return_msg'] ?? '' };
    }
    if (f['result_code'] === 'SUCCESS') {
      try {
        return { state: 'SUCCESS', transaction: transactionFromV2(f, 'SUCCESS') };
      } catch (err) {
        return { state: 'UNKNOWN', code: 'BAD_ANSWER', message: err instanceof Error ? err.message : String(err) };
      }
    }
    const code = f['err_code'] ?? 'UNKNOWN';
    const message = f['err_code_des'] ?? '';
    if (code === 'USERPAYING') return { state: 'USERPAYING' };
    if (code === 'ORDERPAID') {
      // "Already paid": a retried micropay whose first attempt went through. Calling that FAILED would close
      // an order the shopper has paid, so look the payment up instead.
      try {
        const tx = await this.orderQuery(req.outTradeNo);
        if (tx?.trade_state === 'SUCCESS') return { state: 'SUCCESS', transaction: tx };
      } catch {
        // fall through: unknown
      }
      return { state: 'UNKNOWN', code, message };
    }
    if (DEFINITE_FAILURES.has(code)) return { state: 'FAILED', code, message };
    // SYSTEMERROR, BANKERROR and anything unlisted: the payment may have gone through.
    return { state: 'UNKNOWN', code, message };
  }

  async orderQuery(outTradeNo: string): Promise<WxTransaction | null> {
    const f = await this.#post('/pay/orderquery', { out_trade_no: outTradeNo });
    if (f['return_code'] !== 'SUCCESS') throw new WxApiError(200, f['err_code'] ?? 'RETURN_FAIL', f['return_msg'] ?? '');
    if (f['result_code'] !== 'SUCCESS') {
      if (f['err_code'] === 'ORDERNOTEXIST') return null;
      throw new WxApiError(200, f['err_code'] ?? 'RESULT_FAIL', f['err_code_des'] ?? '');
    }
    const state = f['trade_state'];
    if (!isTradeState(state)) throw new WxApiError(200, 'BAD_ANSWER', `unknown trade_state ${String(state)}`);
    return transactionFromV2(f, state);
  }

  async reverse(outTradeNo: string): Promise<{ recall: boolean }> {
    const f = await this.#post('/secapi/pay/reverse', { out_trade_no: outTradeNo }, { secapi: true });
    if (f['return_code'] !== 'SUCCESS') throw new WxApiError(200, f['err_code'] ?? 'RETURN_FAIL', f['return_msg'] ?? '');
    if (f['result_code'] === 'SUCCESS') return { recall: f['recall'] === 'Y' };
    // recall=Y: WeChat could not finish the reverse yet and asks to be called again.
    if (f['recall'] === 'Y') return { recall: true };
    throw new WxApiError(200, f['err_code'] ?? 'RESULT_FAIL', f['err_code_des'] ?? '');
  }
}
