/**
 * A minimal, correct merchant-side client for tests: signs v3 requests, verifies v3 answers the way an
 * official SDK does, and speaks the v2 XML API. The simulator's own tests use it; Jifen's tests may use it as
 * the reference when checking the server's own client.
 */
import {
  AUTHORIZATION_ORDERS,
  buildAuthorization,
  v2Sign,
  v2Verify,
  verifyNotificationSignature,
  xmlBuild,
  xmlParse,
  randomNonce,
  type AuthorizationField,
  type KeyInput,
  type V2SignType,
  type VerifyResult,
} from './crypto.js';

export interface MerchantClientOptions {
  baseUrl: string;
  mchid: string;
  serialNo: string;
  privateKey: KeyInput;
  /** serial / PUB_KEY_ID → key, used to verify answers. */
  platformKeys?: Map<string, KeyInput> | Record<string, KeyInput>;
  /** Sent as `Wechatpay-Serial` (selects the public key for answers during a migration). */
  wechatpaySerial?: string;
  authorizationOrder?: readonly AuthorizationField[];
  /** Unix seconds for the Authorization timestamp (default now): lets tests send stale requests. */
  timestamp?: () => number;
}

export interface V3Response {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
  /** Signature check of the answer (when platformKeys were given). */
  verified?: VerifyResult;
}

export interface RequestOverrides {
  /** Sign these bytes but send `sendBody` (tampering). */
  sendBody?: string;
  headers?: Record<string, string>;
  authorization?: string;
  order?: readonly AuthorizationField[];
  mchid?: string;
  serialNo?: string;
  timestamp?: number;
}

export class MerchantClient {
  constructor(readonly options: MerchantClientOptions) {}

  async request(method: string, url: string, body?: unknown, overrides: RequestOverrides = {}): Promise<V3Response> {
    const o = this.options;
    const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
    const authorization =
      overrides.authorization ??
      buildAuthorization({
        mchid: overrides.mchid ?? o.mchid,
        serialNo: overrides.serialNo ?? o.serialNo,
        privateKey: o.privateKey,
        method,
        url,
        body: text,
        timestamp: overrides.timestamp ?? o.timestamp?.() ?? Math.floor(Date.now() / 1000),
        order: overrides.order ?? o.authorizationOrder ?? AUTHORIZATION_ORDERS.goJava,
      });
    const headers: Record<string, string> = {
      Authorization: authorization,
      Accept: 'application/json',
      'User-Agent': 'jifen-test/1.0',
      ...(text !== '' ? { 'Content-Type': 'application/json' } : {}),
      ...(o.wechatpaySerial ? { 'Wechatpay-Serial': o.wechatpaySerial } : {}),
      ...overrides.headers,
    };
    for (const [k, v] of Object.entries(headers)) if (v === '') delete headers[k];
    const init: RequestInit = { method, headers };
    if (text !== '' || overrides.sendBody !== undefined) init.body = overrides.sendBody ?? text;
    const res = await fetch(o.baseUrl + url, init);
    const raw = Buffer.from(await res.arrayBuffer());
    const responseText = raw.toString('utf8');
    let json: unknown;
    try {
      json = responseText === '' ? undefined : JSON.parse(responseText);
    } catch {
      json = undefined;
    }
    const out: V3Response = { status: res.status, headers: res.headers, text: responseText, json };
    if (o.platformKeys) out.verified = verifyNotificationSignature({ headers: res.headers, body: raw, keys: o.platformKeys });
    return out;
  }

  /** Downloads raw bytes (bill files) with an authenticated GET. */
  async download(absoluteUrl: string): Promise<{ status: number; body: Buffer; headers: Headers }> {
    const u = new URL(absoluteUrl);
    const path = u.pathname + u.search;
    const authorization = buildAuthorization({
      mchid: this.options.mchid,
      serialNo: this.options.serialNo,
      privateKey: this.options.privateKey,
      method: 'GET',
      url: path,
    });
    const res = await fetch(absoluteUrl, { headers: { Authorization: authorization, Accept: '*/*', 'User-Agent': 'jifen-test/1.0' } });
    return { status: res.status, body: Buffer.from(await res.arrayBuffer()), headers: res.headers };
  }
}

/** POSTs a signed APIv2 XML request and parses the XML answer; `signOk` checks the answer's sign. */
export async function v2Call(
  baseUrl: string,
  path: string,
  params: Record<string, string | number>,
  key: string,
  signType: V2SignType = 'MD5',
): Promise<{ fields: Record<string, string>; signOk: boolean; raw: string }> {
  const full: Record<string, string | number> = { nonce_str: randomNonce(32), ...params };
  if (signType === 'HMAC-SHA256') full['sign_type'] = signType;
  full['sign'] = v2Sign(full, key, signType);
  const res = await fetch(baseUrl + path, { method: 'POST', headers: { 'Content-Type': 'text/xml' }, body: xmlBuild(full) });
  const raw = await res.text();
  const fields = xmlParse(raw);
  return { fields, signOk: fields['sign'] !== undefined && v2Verify(fields, key, signType), raw };
}
