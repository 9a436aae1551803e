/**
 * WeChat Pay API v3 client on wechatpay-axios-plugin (orders, refunds, trade bills, platform certificates)
 * plus the APIv2 payment-code calls (pay-v2.ts).
 *
 * Trust model:
 * - EVERY v3 answer is verified, error answers included: the plugin's verifier only runs for statuses
 *   that pass `validateStatus`, so the instance accepts all statuses and this module maps non-2xx to
 *   WxApiError itself. Error answers without any signature headers are still reported as WxApiError
 *   (they can only make us give up, never settle); a 2xx without a valid signature is WxSignatureError.
 * - Platform keys live in one PlatformKeyStore shared with the notification verifier. Certificates come
 *   from WXPAY_PLATFORM_CERT_FILE and/or /v3/certificates (at start and every 12 h, so a rotation is
 *   picked up); the public key (public-key mode) sits alongside. The plugin copies its `certs` when an
 *   instance is built, so the instance is rebuilt whenever the store changes.
 * - /v3/certificates is fetched outside the plugin: at start there may be no key to verify it with yet.
 *   Its answer is signed by one of the certificates it carries; those are trusted because they decrypt
 *   (AES-GCM, tag checked) with our APIv3 key, which a man in the middle does not have.
 */
import { X509Certificate, createHash, type KeyObject } from 'node:crypto';
import type { Agent as HttpAgent } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import axios, { AxiosHeaders, type AxiosInstance, type AxiosResponse } from 'axios';
import { Decorator } from 'wechatpay-axios-plugin';
import { z } from 'zod';
import type { Logger } from '../logger.js';
import type { CertificateDownload, WxPayConfig } from './config.js';
import { WxApiError, WxProtocolError, WxSignatureError, WxTransportError, WxUnverifiedApiError, normalizeWxCode } from './errors.js';
import { PlatformKeyStore, type PlatformKeyEntry } from './platform-keys.js';
import { V2Client } from './pay-v2.js';
import { parseTradeBill } from './trade-bill.js';
import type {
  JsapiOrderRequest,
  JsapiPayParams,
  MicropayOutcome,
  MicropayRequest,
  NativeOrderRequest,
  RefundRequest,
  TradeBillRow,
  WxPayClient,
  WxRefund,
  WxTransaction,
} from './types.js';
import {
  PROBE_PREFIX,
  aesGcmDecrypt,
  apiV3KeyObject,
  authorizationHeader,
  checkWechatpaySignature,
  headerValue,
  randomNonce,
  signSha256Rsa,
  type HeaderBag,
} from './wx-crypto.js';

export interface WxPayClientOptions {
  logger?: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Per-call timeout (default 10 s). */
  timeoutMs?: number;
  /** micropay may wait on WeChat's side for the bank (default 30 s). */
  micropayTimeoutMs?: number;
  httpAgent?: HttpAgent;
  httpsAgent?: HttpsAgent;
  /** How often to re-download /v3/certificates (default 12 h; 0 = never on a timer). */
  certificateRefreshMs?: number;
  /** Overrides cfg.certificateDownload. */
  certificateDownload?: CertificateDownload;
}

/** The client plus what the server wiring needs around it. */
export interface JifenWxPayClient extends WxPayClient {
  /** Live key store: give it to createNotificationVerifier so refreshed certificates count there too. */
  readonly platformKeys: PlatformKeyStore;
  /** Downloads /v3/certificates now; returns every serial/id now trusted. */
  refreshCertificates(): Promise<string[]>;
  /** Stops the certificate refresh timer (close() is WeChat's "close order"). */
  stop(): void;
}

type PluginAxios = Decorator['v3'];
/** What callers of #call use from an answer (already verified by the plugin). */
interface Answer {
  status: number;
  data: unknown;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const USER_AGENT = 'jifen-server (wechatpay-axios-plugin)';
const DEFAULT_MICROPAY_TIMEOUT_MS = 30_000;
const DEFAULT_REFRESH_MS = 12 * 3600_000;

// ---------------------------------------------------------------------------------------------------
// Answer shapes (the plugin's types are `any`): narrowed here, nothing unchecked leaves this module.

const TRADE_STATE = z.enum(['SUCCESS', 'REFUND', 'NOTPAY', 'CLOSED', 'REVOKED', 'USERPAYING', 'PAYERROR']);

const TransactionSchema = z.looseObject({
  appid: z.string(),
  mchid: z.string(),
  out_trade_no: z.string(),
  transaction_id: z.string().optional(),
  trade_type: z.string().optional(),
  trade_state: TRADE_STATE,
  trade_state_desc: z.string().optional(),
  success_time: z.string().optional(),
  payer: z.looseObject({ openid: z.string() }).optional(),
  amount: z
    .looseObject({
      total: z.number().int(),
      payer_total: z.number().int().optional(),
      currency: z.string().optional(),
      payer_currency: z.string().optional(),
    })
    .optional(),
  attach: z.string().optional(),
});

const RefundSchema = z.looseObject({
  out_refund_no: z.string(),
  refund_id: z.string().optional(),
  out_trade_no: z.string(),
  transaction_id: z.string().optional(),
  status: z.enum(['PROCESSING', 'SUCCESS', 'CLOSED', 'ABNORMAL']),
  success_time: z.string().optional(),
  amount: z.looseObject({
    total: z.number().int(),
    refund: z.number().int(),
    payer_total: z.number().int().optional(),
    payer_refund: z.number().int().optional(),
  }),
  mchid: z.string().optional(),
});

const NativeAnswer = z.object({ code_url: z.string().min(1) });
const JsapiAnswer = z.object({ prepay_id: z.string().min(1) });
const BillAnswer = z.object({ hash_type: z.string(), hash_value: z.string(), download_url: z.string() });
const ErrorAnswer = z.object({ code: z.string(), message: z.string().optional() });
const CertificatesAnswer = z.object({
  data: z.array(
    z.object({
      serial_no: z.string(),
      encrypt_certificate: z.object({
        algorithm: z.literal('AEAD_AES_256_GCM'),
        nonce: z.string(),
        associated_data: z.string(),
        ciphertext: z.string(),
      }),
    }),
  ),
});

function narrow<T>(schema: z.ZodType<T>, data: unknown, what: string): T {
  const parsed = schema.safeParse(data);
  if (!parsed.success)
    throw new WxProtocolError(
      `${what}: unexpected answer: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`,
    );
  return parsed.data;
}

function jsonOf(data: unknown): unknown {
  if (typeof data !== 'string' && !Buffer.isBuffer(data)) return data;
  try {
    return JSON.parse(data.toString());
  } catch {
    return data.toString();
  }
}

/** A non-2xx answer as WxApiError (WxUnverifiedApiError when it carried no signature), whatever its body. */
function apiError(status: number, data: unknown, verified = true): WxApiError {
  const Err = verified ? WxApiError : WxUnverifiedApiError;
  const parsed = ErrorAnswer.safeParse(jsonOf(data));
  if (parsed.success) return new Err(status, parsed.data.code, parsed.data.message ?? '');
  const text = typeof data === 'string' ? data : Buffer.isBuffer(data) ? data.toString('utf8') : '';
  return new Err(status, `HTTP_${status}`, text.slice(0, 200));
}

/** A SIGNED refusal with this status and one of these (normalised) codes: "WeChat does not have it". */
function isSignedNotFound(err: unknown, status: number, codes: string[]): boolean {
  return (
    err instanceof WxApiError &&
    !(err instanceof WxUnverifiedApiError) &&
    err.status === status &&
    codes.includes(normalizeWxCode(err.code))
  );
}

function headerBag(headers: unknown): HeaderBag {
  if (headers === null || typeof headers !== 'object') return {};
  return AxiosHeaders.from(headers as ConstructorParameters<typeof AxiosHeaders>[0]).toJSON();
}

/** The plugin reports verification failures as these axios error codes. */
const PLUGIN_REASONS: Record<string, string> = {
  EV3_RES_HEADERS_INCOMPLATE: 'missing_headers',
  EV3_RES_HEADER_TIMESTAMP_OFFSET: 'stale_timestamp',
  EV3_RES_HEADER_PLATFORM_SERIAL: 'unknown_serial',
  EV3_RES_HEADER_SIGNATURE_DIGEST: 'bad_signature',
};

/** paySign for wx.requestPayment: Base64(SHA256withRSA(`appId\ntimeStamp\nnonceStr\npackage\n`)) (§5). */
export function buildJsapiPayParams(input: {
  appid: string;
  prepayId: string;
  privateKey: KeyObject;
  timeStamp?: string;
  nonceStr?: string;
}): JsapiPayParams {
  const timeStamp = input.timeStamp ?? String(Math.floor(Date.now() / 1000));
  const nonceStr = input.nonceStr ?? randomNonce();
  const pkg = `prepay_id=${input.prepayId}`;
  return {
    timeStamp,
    nonceStr,
    package: pkg,
    signType: 'RSA',
    paySign: signSha256Rsa(`${input.appid}\n${timeStamp}\n${nonceStr}\n${pkg}\n`, input.privateKey),
  };
}

/** Same origin as the API, or a WeChat Pay host over https: a signed GET never goes anywhere else. */
function isTrustedDownload(url: URL, base: URL): boolean {
  if (url.origin === base.origin) return true;
  return url.protocol === 'https:' && (url.hostname === 'api.mch.weixin.qq.com' || url.hostname === 'api2.mch.weixin.qq.com');
}

class WxPayClientImpl implements JifenWxPayClient {
  readonly platformKeys: PlatformKeyStore;
  readonly #cfg: WxPayConfig;
  readonly #o: WxPayClientOptions;
  readonly #privateKeyPem: string;
  readonly #apiV3Key: KeyObject;
  readonly #raw: AxiosInstance;
  readonly #v2: V2Client | null;
  /** The plugin's axios (its typings resolve axios' CJS flavour, hence not our AxiosInstance type). */
  #api: PluginAxios | null = null;
  #refreshing: Promise<string[]> | null = null;
  #timer: NodeJS.Timeout | null = null;

  constructor(cfg: WxPayConfig, o: WxPayClientOptions) {
    this.#cfg = cfg;
    this.#o = o;
    this.#privateKeyPem = cfg.merchantPrivateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    this.#apiV3Key = apiV3KeyObject(cfg.apiV3Key);
    this.platformKeys = new PlatformKeyStore([...cfg.platformCertificates, ...(cfg.publicKey ? [cfg.publicKey] : [])]);
    // The plugin copied the old key set into its verifier: build a new instance on next use.
    this.platformKeys.onChange(() => {
      this.#api = null;
    });
    const agents = {
      ...(o.httpAgent ? { httpAgent: o.httpAgent } : {}),
      ...(o.httpsAgent ? { httpsAgent: o.httpsAgent } : {}),
    };
    this.#raw = axios.create({
      baseURL: cfg.baseUrl,
      timeout: o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      maxRedirects: 0,
      responseType: 'arraybuffer',
      transformResponse: [(d: unknown) => d],
      validateStatus: () => true,
      ...agents,
    });
    this.#v2 = cfg.apiV2Key
      ? new V2Client({
          baseUrl: cfg.baseUrl,
          mchid: cfg.mchid,
          appid: cfg.appid,
          apiV2Key: cfg.apiV2Key,
          timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
          micropayTimeoutMs: o.micropayTimeoutMs ?? DEFAULT_MICROPAY_TIMEOUT_MS,
          secapiTls: cfg.secapiTls,
          ...agents,
        })
      : null;
  }

  get mchid(): string {
    return this.#cfg.mchid;
  }

  get appid(): string {
    return this.#cfg.appid;
  }

  /** Starts: makes sure there is a key to verify answers with, then the refresh timer. */
  async start(): Promise<void> {
    const mode = this.#o.certificateDownload ?? this.#cfg.certificateDownload;
    if (mode !== 'off') {
      try {
        await this.refreshCertificates();
      } catch (err) {
        if (mode === 'required') throw err;
        // A merchant in pure public-key mode may have no certificates to download (info); an answer that
        // fails its checks is worth a warning.
        const level = err instanceof WxSignatureError || err instanceof WxProtocolError ? 'warn' : 'info';
        this.#o.logger?.[level]({ err }, 'wxpay: /v3/certificates not used; relying on the configured platform keys');
      }
    }
    if (this.platformKeys.size === 0)
      throw new WxProtocolError('no WeChat Pay platform key: /v3/certificates returned none and none is configured');
    const every = this.#o.certificateRefreshMs ?? DEFAULT_REFRESH_MS;
    if (mode !== 'off' && every > 0) {
      this.#timer = setInterval(() => {
        this.refreshCertificates().catch((err: unknown) => this.#o.logger?.warn({ err }, 'wxpay: platform certificate refresh failed'));
      }, every);
      this.#timer.unref();
    }
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** The plugin instance for the current key set (rebuilt after a key change: the plugin copies `certs`). */
  #instance(): PluginAxios {
    if (this.#api) return this.#api;
    const certs = Object.fromEntries(this.platformKeys.entries().map((e) => [e.serial, e.key]));
    const decorator = new Decorator({
      mchid: this.#cfg.mchid,
      serial: this.#cfg.merchantSerial,
      privateKey: this.#privateKeyPem,
      certs,
      baseURL: this.#cfg.baseUrl,
      timeout: this.#o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      maxRedirects: 0,
      // Let every status through so the plugin's verifier checks error answers too (see the header).
      validateStatus: () => true,
      // Names the public key: during a migration WeChat then signs the answer with it (§2).
      ...(this.#cfg.publicKey ? { headers: { 'Wechatpay-Serial': this.#cfg.publicKey.serial } } : {}),
      ...(this.#o.httpAgent ? { httpAgent: this.#o.httpAgent } : {}),
      ...(this.#o.httpsAgent ? { httpsAgent: this.#o.httpsAgent } : {}),
    });
    const api = decorator.v3;
    this.#api = api;
    return api;
  }

  /** One v3 call: a verified 2xx answer, or WxApiError / WxSignatureError / WxTransportError. */
  async #call(method: 'GET' | 'POST', url: string, body?: unknown): Promise<Answer> {
    let res: Answer;
    try {
      const r = await this.#instance().request<unknown>({ method, url, ...(body === undefined ? {} : { data: body }) });
      res = { status: r.status, data: r.data };
    } catch (err) {
      throw this.#mapError(err);
    }
    if (res.status < 200 || res.status > 299) throw apiError(res.status, res.data);
    return res;
  }

  #mapError(err: unknown): Error {
    if (!axios.isAxiosError(err)) return err instanceof Error ? err : new Error(String(err));
    const reason = err.code === undefined ? undefined : PLUGIN_REASONS[err.code];
    if (reason !== undefined) {
      const status = err.response?.status ?? 0;
      // An error answer with no signature at all (gateway, or 401 SIGN_ERROR): still a refusal.
      if (reason === 'missing_headers' && status >= 400) return apiError(status, err.response?.data, false);
      const signature = headerValue(headerBag(err.response?.headers), 'Wechatpay-Signature');
      return new WxSignatureError(signature?.startsWith(PROBE_PREFIX) ? 'probe' : reason, status, err.message);
    }
    return new WxTransportError(err.message, err.code);
  }

  // -------------------------------------------------------------------------------------------------
  // Orders

  #orderBody(req: NativeOrderRequest): Record<string, unknown> {
    return {
      appid: this.#cfg.appid,
      mchid: this.#cfg.mchid,
      description: req.description,
      out_trade_no: req.outTradeNo,
      ...(req.timeExpire !== undefined ? { time_expire: req.timeExpire } : {}),
      ...(req.attach !== undefined ? { attach: req.attach } : {}),
      notify_url: req.notifyUrl,
      amount: { total: req.totalFen, currency: 'CNY' },
    };
  }

  async createNative(req: NativeOrderRequest): Promise<{ codeUrl: string }> {
    const res = await this.#call('POST', '/v3/pay/transactions/native', this.#orderBody(req));
    return { codeUrl: narrow(NativeAnswer, res.data, 'native order').code_url };
  }

  async createJsapi(req: JsapiOrderRequest): Promise<{ prepayId: string }> {
    const res = await this.#call('POST', '/v3/pay/transactions/jsapi', { ...this.#orderBody(req), payer: { openid: req.openid } });
    return { prepayId: narrow(JsapiAnswer, res.data, 'jsapi order').prepay_id };
  }

  jsapiPayParams(prepayId: string): JsapiPayParams {
    return buildJsapiPayParams({ appid: this.#cfg.appid, prepayId, privateKey: this.#cfg.merchantPrivateKey });
  }

  async #query(path: string): Promise<WxTransaction | null> {
    try {
      const res = await this.#call('GET', `${path}?mchid=${encodeURIComponent(this.#cfg.mchid)}`);
      return narrow(TransactionSchema, res.data, 'order query');
    } catch (err) {
      if (isSignedNotFound(err, 404, ['ORDERNOTEXIST'])) return null;
      throw err;
    }
  }

  queryByOutTradeNo(outTradeNo: string): Promise<WxTransaction | null> {
    return this.#query(`/v3/pay/transactions/out-trade-no/${encodeURIComponent(outTradeNo)}`);
  }

  queryByTransactionId(transactionId: string): Promise<WxTransaction | null> {
    return this.#query(`/v3/pay/transactions/id/${encodeURIComponent(transactionId)}`);
  }

  async close(outTradeNo: string): Promise<void> {
    await this.#call('POST', `/v3/pay/transactions/out-trade-no/${encodeURIComponent(outTradeNo)}/close`, { mchid: this.#cfg.mchid });
  }

  // -------------------------------------------------------------------------------------------------
  // Refunds

  async refund(req: RefundRequest): Promise<WxRefund> {
    const res = await this.#call('POST', '/v3/refund/domestic/refunds', {
      out_trade_no: req.outTradeNo,
      out_refund_no: req.outRefundNo,
      ...(req.reason !== undefined ? { reason: req.reason } : {}),
      notify_url: req.notifyUrl,
      amount: { refund: req.refundFen, total: req.totalFen, currency: 'CNY' },
    });
    return narrow(RefundSchema, res.data, 'refund');
  }

  async queryRefund(outRefundNo: string): Promise<WxRefund | null> {
    try {
      const res = await this.#call('GET', `/v3/refund/domestic/refunds/${encodeURIComponent(outRefundNo)}`);
      return narrow(RefundSchema, res.data, 'refund query');
    } catch (err) {
      if (isSignedNotFound(err, 404, ['RESOURCENOTEXISTS', 'ORDERNOTEXIST'])) return null;
      throw err;
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Trade bill

  async tradeBill(date: string): Promise<TradeBillRow[]> {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new RangeError(`bill date must be YYYY-MM-DD (got ${date})`);
    let answer: z.infer<typeof BillAnswer>;
    try {
      const res = await this.#call('GET', `/v3/bill/tradebill?bill_date=${date}&bill_type=ALL`);
      answer = narrow(BillAnswer, res.data, 'trade bill');
    } catch (err) {
      // No trade that day: WeChat has no statement to give.
      if (isSignedNotFound(err, 400, ['NOSTATEMENTEXIST'])) return [];
      throw err;
    }
    if (answer.hash_type.toUpperCase() !== 'SHA1') throw new WxProtocolError(`trade bill: unsupported hash_type ${answer.hash_type}`);
    const url = new URL(answer.download_url, this.#cfg.baseUrl);
    if (!isTrustedDownload(url, new URL(this.#cfg.baseUrl)))
      throw new WxProtocolError(`trade bill: refusing to download from ${url.origin}`);
    // The file is not JSON and carries no signature: the SHA1 from the signed answer above vouches for it.
    const file = await this.#signedGet(url.toString(), url.pathname + url.search);
    if (file.status !== 200) throw apiError(file.status, file.body, false);
    const bytes = file.body;
    const sha1 = createHash('sha1').update(bytes).digest('hex');
    if (sha1 !== answer.hash_value.toLowerCase())
      throw new WxProtocolError(`trade bill: SHA1 mismatch (got ${sha1}, signed answer says ${answer.hash_value})`);
    return parseTradeBill(bytes.toString('utf8'));
  }

  // -------------------------------------------------------------------------------------------------
  // Platform certificates

  refreshCertificates(): Promise<string[]> {
    // Concurrent callers (timer + an operator) share one download.
    this.#refreshing ??= this.#downloadCertificates().finally(() => {
      this.#refreshing = null;
    });
    return this.#refreshing;
  }

  /**
   * A GET signed here rather than by the plugin, answer returned as raw bytes and NOT verified: for the two
   * calls the plugin cannot serve (/v3/certificates before any key is known; the bill file, which the plugin
   * only recognises by a relative path). Callers verify what they get.
   */
  async #signedGet(url: string, signedPath: string): Promise<{ status: number; headers: HeaderBag; body: Buffer }> {
    let res: AxiosResponse<unknown>;
    try {
      res = await this.#raw.get<unknown>(url, {
        headers: {
          Authorization: authorizationHeader({
            mchid: this.#cfg.mchid,
            serial: this.#cfg.merchantSerial,
            privateKey: this.#cfg.merchantPrivateKey,
            method: 'GET',
            url: signedPath,
            body: '',
          }),
          Accept: '*/*',
          'User-Agent': USER_AGENT,
          ...(this.#cfg.publicKey ? { 'Wechatpay-Serial': this.#cfg.publicKey.serial } : {}),
        },
      });
    } catch (err) {
      throw this.#mapError(err);
    }
    const body = Buffer.isBuffer(res.data) ? res.data : res.data instanceof ArrayBuffer ? Buffer.from(res.data) : Buffer.alloc(0);
    return { status: res.status, headers: headerBag(res.headers), body };
  }

  async #downloadCertificates(): Promise<string[]> {
    const res = await this.#signedGet('/v3/certificates', '/v3/certificates');
    const raw = res.body;
    if (res.status !== 200) throw apiError(res.status, raw, false);
    const answer = narrow(CertificatesAnswer, jsonOf(raw.toString('utf8')), 'certificates');

    const fresh: PlatformKeyEntry[] = answer.data.map((item) => {
      const enc = item.encrypt_certificate;
      let pem: string;
      try {
        pem = aesGcmDecrypt(this.#apiV3Key, enc.ciphertext, enc.nonce, enc.associated_data).toString('utf8');
      } catch {
        throw new WxProtocolError(`certificate ${item.serial_no} does not decrypt with the APIv3 key (wrong WXPAY_APIV3_KEY, or tampered)`);
      }
      const x509 = new X509Certificate(pem);
      const serial = x509.serialNumber.toUpperCase();
      if (serial !== item.serial_no.toUpperCase()) throw new WxProtocolError(`certificate serial ${serial} ≠ serial_no ${item.serial_no}`);
      return { serial, kind: 'certificate', key: x509.publicKey };
    });

    // The answer is signed by a key we already trust or by one of the certificates it carries.
    const candidates = new Map(fresh.map((e) => [e.serial, e.key]));
    const check = checkWechatpaySignature({
      headers: res.headers,
      rawBody: raw,
      keys: { get: (s) => this.platformKeys.get(s) ?? candidates.get(s) },
      nowSeconds: Math.floor(Date.now() / 1000),
    });
    if (!check.ok) throw new WxSignatureError(check.reason, res.status, '/v3/certificates answer');

    const added = this.platformKeys.add(fresh);
    if (added.length > 0) this.#o.logger?.info({ added }, 'wxpay: platform certificates added');
    return this.platformKeys.serials();
  }

  // -------------------------------------------------------------------------------------------------
  // APIv2 payment code

  #requireV2(): V2Client {
    if (!this.#v2) throw new Error('payment-code payments need WXPAY_APIV2_KEY');
    return this.#v2;
  }

  micropay(req: MicropayRequest): Promise<MicropayOutcome> {
    return this.#requireV2().micropay(req);
  }

  orderQueryV2(outTradeNo: string): Promise<WxTransaction | null> {
    return this.#requireV2().orderQuery(outTradeNo);
  }

  reverse(outTradeNo: string): Promise<{ recall: boolean }> {
    return this.#requireV2().reverse(outTradeNo);
  }
}

/**
 * Builds the client and makes sure it can verify answers before returning: downloads /v3/certificates
 * first when no platform key is configured (the start fails if that does not work).
 */
export async function createWxPayClient(cfg: WxPayConfig, options: WxPayClientOptions = {}): Promise<JifenWxPayClient> {
  const impl = new WxPayClientImpl(cfg, options);
  await impl.start();
  return impl;
}
