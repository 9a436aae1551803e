/**
 * WeChat Pay cryptography, shared by the simulator and by merchant-side tests (node:crypto only).
 *
 * Everything here follows /work/shared/docs/wechat-platform.md §1, §2, §3 and §5 to the byte and is pinned by
 * the published vectors in crypto.test.ts. The functions are deliberately small and pure so the Jifen server's
 * own tests can reuse them to build requests or check what the simulator sent.
 */
import {
  X509Certificate,
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  randomInt,
  sign as rsaSignRaw,
  timingSafeEqual,
  verify as rsaVerifyRaw,
  type KeyObject,
} from 'node:crypto';

/** Authorization scheme token, and the value of `Wechatpay-Signature-Type`. */
export const AUTH_SCHEME = 'WECHATPAY2-SHA256-RSA2048';
/** Signature "probes": WeChat deliberately sends a few wrong signatures that start with this (§2). */
export const PROBE_PREFIX = 'WECHATPAY/SIGNTEST/';
/** Responses/notifications older (or newer) than this are rejected by every official SDK (§2 Freshness). */
export const MAX_CLOCK_SKEW_SEC = 300;

/** A PEM string/Buffer or an already-parsed key. */
export type KeyInput = string | Buffer | KeyObject;

export function toPrivateKey(key: KeyInput): KeyObject {
  return typeof key === 'string' || Buffer.isBuffer(key) ? createPrivateKey(key) : key;
}

/** Accepts a public key PEM, a certificate PEM, a private key (its public half) or a KeyObject. */
export function toPublicKey(key: KeyInput): KeyObject {
  if (typeof key === 'string' || Buffer.isBuffer(key)) {
    const text = key.toString();
    if (text.includes('BEGIN CERTIFICATE')) return new X509Certificate(text).publicKey;
    return createPublicKey(text);
  }
  return key.type === 'private' ? createPublicKey(key) : key;
}

/** Serial of an X.509 certificate as WeChat writes it: upper-case hex, e.g. `5F1C72E2A8931B72A2E13AF8DEE92471EB397115`. */
export function certificateSerial(certPem: string | Buffer): string {
  return new X509Certificate(certPem).serialNumber.toUpperCase();
}

const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A random string; SDKs use 32 chars of [0-9A-Za-z] for nonces, resources use 12. Unbiased (randomInt). */
export function randomNonce(length = 32, alphabet = ALNUM): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)] ?? '0';
  return out;
}

/** Base64(SHA256withRSA(message)) with PKCS#1 v1.5 padding, the only algorithm WeChat Pay v3 uses. */
export function rsaSign(message: string | Buffer, privateKey: KeyInput): string {
  const data = typeof message === 'string' ? Buffer.from(message, 'utf8') : message;
  return rsaSignRaw('RSA-SHA256', data, toPrivateKey(privateKey)).toString('base64');
}

/** Verifies a Base64 SHA256withRSA signature. A probe or non-Base64 value is simply "not valid". */
export function rsaVerify(message: string | Buffer, signature: string, publicKey: KeyInput): boolean {
  if (signature.startsWith(PROBE_PREFIX) || !/^[A-Za-z0-9+/]+={0,2}$/.test(signature)) return false;
  const data = typeof message === 'string' ? Buffer.from(message, 'utf8') : message;
  try {
    return rsaVerifyRaw('RSA-SHA256', data, toPublicKey(publicKey), Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

function bodyBytes(body: string | Buffer | undefined): Buffer {
  if (body === undefined) return Buffer.alloc(0);
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}

// ---------------------------------------------------------------------------------------------------------
// §1 Merchant → WeChat request signatures

/**
 * The 5-line request signing string `METHOD\nURL\nTIMESTAMP\nNONCE\nBODY\n`, built from the raw body BYTES
 * (re-serialising JSON would change them). `url` is the raw path + query exactly as sent.
 */
export function buildRequestMessage(
  method: string,
  url: string,
  timestamp: number | string,
  nonce: string,
  body?: string | Buffer,
): Buffer {
  return Buffer.concat([
    Buffer.from(`${method.toUpperCase()}\n${url}\n${timestamp}\n${nonce}\n`, 'utf8'),
    bodyBytes(body),
    Buffer.from('\n'),
  ]);
}

export interface RequestSignatureInput {
  method: string;
  /** Raw path + query, no scheme/host: `/v3/pay/transactions/out-trade-no/X?mchid=1900000001`. */
  url: string;
  timestamp: number | string;
  nonce: string;
  body?: string | Buffer;
  privateKey: KeyInput;
}

export function buildRequestSignature(input: RequestSignatureInput): string {
  return rsaSign(buildRequestMessage(input.method, input.url, input.timestamp, input.nonce, input.body), input.privateKey);
}

export type AuthorizationField = 'mchid' | 'nonce_str' | 'signature' | 'timestamp' | 'serial_no';

/** The pair orders seen in the wild (§1). The simulator accepts any order; tests use all three. */
export const AUTHORIZATION_ORDERS = {
  doc: ['mchid', 'nonce_str', 'signature', 'timestamp', 'serial_no'],
  goJava: ['mchid', 'nonce_str', 'timestamp', 'serial_no', 'signature'],
  phpAxios: ['mchid', 'serial_no', 'timestamp', 'nonce_str', 'signature'],
} as const satisfies Record<string, readonly AuthorizationField[]>;

export interface AuthorizationInput extends Omit<RequestSignatureInput, 'timestamp' | 'nonce'> {
  mchid: string;
  serialNo: string;
  /** Unix seconds; defaults to now. */
  timestamp?: number | string;
  nonce?: string;
  order?: readonly AuthorizationField[];
}

/** A complete `Authorization` header value: `WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",…`. */
export function buildAuthorization(input: AuthorizationInput): string {
  const timestamp = input.timestamp ?? Math.floor(Date.now() / 1000);
  const nonce = input.nonce ?? randomNonce(32);
  const values: Record<AuthorizationField, string> = {
    mchid: input.mchid,
    nonce_str: nonce,
    signature: buildRequestSignature({ ...input, timestamp, nonce }),
    timestamp: String(timestamp),
    serial_no: input.serialNo,
  };
  const order = input.order ?? AUTHORIZATION_ORDERS.doc;
  return `${AUTH_SCHEME} ${order.map((k) => `${k}="${values[k]}"`).join(',')}`;
}

export interface ParsedAuthorization {
  scheme: string;
  mchid: string;
  nonce_str: string;
  signature: string;
  timestamp: string;
  serial_no: string;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string };

const AUTH_FIELDS: readonly AuthorizationField[] = ['mchid', 'nonce_str', 'signature', 'timestamp', 'serial_no'];

/**
 * Parses an `Authorization` header. Pairs may come in ANY order (SDKs differ); each must be `key="value"`,
 * appear once, and all five must be present. Unknown keys are rejected so typos surface in tests.
 */
export function parseAuthorization(header: string | undefined): ParseResult<ParsedAuthorization> {
  if (!header) return { ok: false, reason: '缺少Authorization头' };
  const space = header.indexOf(' ');
  if (space < 0) return { ok: false, reason: 'Authorization格式错误' };
  const scheme = header.slice(0, space);
  if (scheme !== AUTH_SCHEME) return { ok: false, reason: `不支持的认证类型 ${scheme}` };
  const found = new Map<string, string>();
  for (const part of header.slice(space + 1).split(',')) {
    const m = /^\s*([a-z_]+)="([^"]*)"\s*$/.exec(part);
    if (!m || m[1] === undefined || m[2] === undefined) return { ok: false, reason: `Authorization参数格式错误: ${part}` };
    if (!(AUTH_FIELDS as readonly string[]).includes(m[1])) return { ok: false, reason: `Authorization含未知参数 ${m[1]}` };
    if (found.has(m[1])) return { ok: false, reason: `Authorization参数重复 ${m[1]}` };
    found.set(m[1], m[2]);
  }
  const get = (k: AuthorizationField): string | undefined => found.get(k);
  const mchid = get('mchid');
  const nonce = get('nonce_str');
  const signature = get('signature');
  const timestamp = get('timestamp');
  const serial = get('serial_no');
  if (mchid === undefined || nonce === undefined || signature === undefined || timestamp === undefined || serial === undefined) {
    return { ok: false, reason: `Authorization缺少参数 ${AUTH_FIELDS.filter((k) => !found.has(k)).join(',')}` };
  }
  return { ok: true, value: { scheme, mchid, nonce_str: nonce, signature, timestamp, serial_no: serial } };
}

// ---------------------------------------------------------------------------------------------------------
// §2 WeChat → merchant response / notification signatures

/** `ts\nnonce\nBODY\n` over the raw body bytes; an empty body (204) gives `ts\nnonce\n\n`. */
export function buildResponseMessage(timestamp: number | string, nonce: string, body?: string | Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${timestamp}\n${nonce}\n`, 'utf8'), bodyBytes(body), Buffer.from('\n')]);
}

export interface WechatpayHeaders {
  'Wechatpay-Nonce': string;
  'Wechatpay-Signature': string;
  'Wechatpay-Timestamp': string;
  'Wechatpay-Serial': string;
  'Wechatpay-Signature-Type': string;
}

export interface SignResponseInput {
  body?: string | Buffer;
  privateKey: KeyInput;
  /** Platform certificate serial or `PUB_KEY_ID_…`. */
  serial: string;
  timestamp?: number | string;
  nonce?: string;
  /** Emit a `WECHATPAY/SIGNTEST/…` probe instead of a real signature. */
  probe?: boolean;
}

/** A deliberately invalid signature in WeChat's probe format; its Base64 decoding fails, as the real ones do. */
export function probeSignature(): string {
  return PROBE_PREFIX + randomNonce(324, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') + '==';
}

/** The five `Wechatpay-*` headers for a response or a notification (fresh timestamp and nonce by default). */
export function signResponse(input: SignResponseInput): WechatpayHeaders {
  const timestamp = String(input.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = input.nonce ?? randomNonce(32);
  const signature = input.probe ? probeSignature() : rsaSign(buildResponseMessage(timestamp, nonce, input.body), input.privateKey);
  return {
    'Wechatpay-Nonce': nonce,
    'Wechatpay-Signature': signature,
    'Wechatpay-Timestamp': timestamp,
    'Wechatpay-Serial': input.serial,
    'Wechatpay-Signature-Type': AUTH_SCHEME,
  };
}

export function verifyWechatpaySignature(input: {
  timestamp: string;
  nonce: string;
  body?: string | Buffer;
  signature: string;
  publicKey: KeyInput;
}): boolean {
  return rsaVerify(buildResponseMessage(input.timestamp, input.nonce, input.body), input.signature, input.publicKey);
}

export type HeaderBag = Record<string, string | string[] | undefined> | Headers;

/** Case-insensitive single header lookup over node's IncomingHttpHeaders, a plain record, or fetch Headers. */
export function headerValue(headers: HeaderBag, name: string): string | undefined {
  if (typeof Headers !== 'undefined' && headers instanceof Headers) return headers.get(name) ?? undefined;
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
    if (k.toLowerCase() === lower) return Array.isArray(v) ? v[0] : v;
  }
  return undefined;
}

export type VerifyFailure = 'missing-header' | 'unsupported-type' | 'unknown-serial' | 'stale' | 'probe' | 'bad-signature';
export type VerifyResult = { ok: true; serial: string } | { ok: false; reason: VerifyFailure };

/**
 * What a correct merchant does with a notification or a response (§2, §8.2): pick the key by the incoming
 * `Wechatpay-Serial` (certificate serial or PUB_KEY_ID, mixed during a migration), check freshness, treat a
 * probe as a failure, verify over the RAW body bytes.
 */
export function verifyNotificationSignature(input: {
  headers: HeaderBag;
  body: string | Buffer;
  /** serial / PUB_KEY_ID → public key, certificate PEM or KeyObject. */
  keys: Record<string, KeyInput> | Map<string, KeyInput>;
  nowSec?: number;
  maxSkewSec?: number;
}): VerifyResult {
  const ts = headerValue(input.headers, 'Wechatpay-Timestamp');
  const nonce = headerValue(input.headers, 'Wechatpay-Nonce');
  const signature = headerValue(input.headers, 'Wechatpay-Signature');
  const serial = headerValue(input.headers, 'Wechatpay-Serial');
  const type = headerValue(input.headers, 'Wechatpay-Signature-Type');
  if (!ts || !nonce || !signature || !serial) return { ok: false, reason: 'missing-header' };
  if (type !== undefined && type !== AUTH_SCHEME) return { ok: false, reason: 'unsupported-type' };
  const key = input.keys instanceof Map ? input.keys.get(serial) : input.keys[serial];
  if (key === undefined) return { ok: false, reason: 'unknown-serial' };
  const now = input.nowSec ?? Math.floor(Date.now() / 1000);
  if (!/^\d+$/.test(ts) || Math.abs(now - Number(ts)) >= (input.maxSkewSec ?? MAX_CLOCK_SKEW_SEC)) return { ok: false, reason: 'stale' };
  if (signature.startsWith(PROBE_PREFIX)) return { ok: false, reason: 'probe' };
  if (!verifyWechatpaySignature({ timestamp: ts, nonce, body: input.body, signature, publicKey: key }))
    return { ok: false, reason: 'bad-signature' };
  return { ok: true, serial };
}

// ---------------------------------------------------------------------------------------------------------
// §3 AEAD_AES_256_GCM (notification resources, /v3/certificates)

function aesKey(key: string | Buffer): Buffer {
  const buf = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  // AEAD_AES_256_GCM needs exactly 32 bytes. Go's SDK silently runs AES-128 with a 16-byte key; we refuse.
  if (buf.length !== 32) throw new Error(`APIv3 key must be 32 bytes, got ${buf.length}`);
  return buf;
}

/** Encrypts and returns Base64(ciphertext ‖ 16-byte tag). `nonce` and `aad` are used as their UTF-8 bytes. */
export function aesGcmEncrypt(plaintext: string | Buffer, key: string | Buffer, nonce: string, aad: string): string {
  const cipher = createCipheriv('aes-256-gcm', aesKey(key), Buffer.from(nonce, 'utf8'), { authTagLength: 16 });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
  return Buffer.concat([cipher.update(data), cipher.final(), cipher.getAuthTag()]).toString('base64');
}

/** Decrypts Base64(ciphertext ‖ tag); throws on a wrong key, nonce, AAD or a tampered ciphertext/tag. */
export function aesGcmDecrypt(ciphertextB64: string, key: string | Buffer, nonce: string, aad: string): string {
  const buf = Buffer.from(ciphertextB64, 'base64');
  if (buf.length < 16) throw new Error('ciphertext shorter than the GCM tag');
  const decipher = createDecipheriv('aes-256-gcm', aesKey(key), Buffer.from(nonce, 'utf8'), { authTagLength: 16 });
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(buf.subarray(buf.length - 16));
  return Buffer.concat([decipher.update(buf.subarray(0, buf.length - 16)), decipher.final()]).toString('utf8');
}

// ---------------------------------------------------------------------------------------------------------
// Client-side payment signatures (mini-program wx.requestPayment / JSAPI), §5

/** paySign = Base64(SHA256withRSA(`appId\ntimeStamp\nnonceStr\npackage\n`)) with the merchant key. */
export function buildMiniProgramPaySign(input: {
  appId: string;
  timeStamp: string;
  nonceStr: string;
  package: string;
  privateKey: KeyInput;
}): string {
  return rsaSign(`${input.appId}\n${input.timeStamp}\n${input.nonceStr}\n${input.package}\n`, input.privateKey);
}

// ---------------------------------------------------------------------------------------------------------
// §5 APIv2 (XML + MD5 / HMAC-SHA256)

export type V2SignType = 'MD5' | 'HMAC-SHA256';
export type V2Params = Record<string, string | number | undefined>;

/** `k=v&…` of the non-empty params except `sign`, sorted by ASCII name. */
export function v2SignString(params: V2Params): string {
  return Object.keys(params)
    .filter((k) => k !== 'sign' && params[k] !== undefined && params[k] !== '')
    .sort()
    .map((k) => `${k}=${String(params[k])}`)
    .join('&');
}

/** MD5 → upper hex of `stringA&key=K`; HMAC-SHA256 → HMAC(key=K, msg=`stringA&key=K`) upper hex (vector-checked). */
export function v2Sign(params: V2Params, key: string, type: V2SignType = 'MD5'): string {
  const text = `${v2SignString(params)}&key=${key}`;
  const digest = type === 'MD5' ? createHash('md5').update(text, 'utf8') : createHmac('sha256', key).update(text, 'utf8');
  return digest.digest('hex').toUpperCase();
}

/** Checks `params.sign` with `type`, else the algorithm named by `params.sign_type` (MD5 when absent). */
export function v2Verify(params: V2Params, key: string, type: string | number = params['sign_type'] ?? 'MD5'): boolean {
  if (type !== 'MD5' && type !== 'HMAC-SHA256') return false;
  const given = String(params['sign'] ?? '').toUpperCase();
  const want = v2Sign(params, key, type);
  return given.length === want.length && timingSafeEqual(Buffer.from(given), Buffer.from(want));
}

/**
 * Flat `<xml>` as WeChat writes it: strings in CDATA, numbers bare (`<total_fee>1</total_fee>`).
 * `]]>` inside a value is split across two CDATA sections so it cannot close the section early.
 */
export function xmlBuild(params: Record<string, string | number | undefined>): string {
  const parts = ['<xml>'];
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`invalid xml element name ${k}`);
    parts.push(typeof v === 'number' ? `<${k}>${v}</${k}>` : `<${k}><![CDATA[${v.replaceAll(']]>', ']]]]><![CDATA[>')}]]></${k}>`);
  }
  parts.push('</xml>');
  return parts.join('');
}

const XML_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/**
 * Parses WeChat's flat v2 XML into a string map. Refuses DOCTYPE/ENTITY declarations (the XXE hole WeChat
 * warned merchants about) and nested elements: the v2 payment messages are always one level deep.
 */
export function xmlParse(xml: string): Record<string, string> {
  const text = xml.trim().replace(/^<\?xml[^>]*\?>\s*/, '');
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new Error('XML declarations are not allowed');
  const root = /^<xml>([\s\S]*)<\/xml>$/.exec(text);
  if (!root || root[1] === undefined) throw new Error('root element must be <xml>');
  const out: Record<string, string> = {};
  const re = /<([A-Za-z_][A-Za-z0-9_]*)>((?:<!\[CDATA\[[\s\S]*?\]\]>|[^<])*)<\/\1>|(\S)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(root[1])) !== null) {
    if (m[3] !== undefined || m[1] === undefined || m[2] === undefined) throw new Error('malformed or nested XML');
    const value = m[2].replace(
      /<!\[CDATA\[([\s\S]*?)\]\]>|&(lt|gt|amp|quot|apos);|&#(\d+);|&#x([0-9a-fA-F]+);/g,
      (_all, cdata?: string, ent?: string, dec?: string, hex?: string) => {
        if (cdata !== undefined) return cdata;
        if (ent !== undefined) return XML_ENTITIES[ent] ?? '';
        if (dec !== undefined) return String.fromCodePoint(Number(dec));
        return String.fromCodePoint(parseInt(hex ?? '0', 16));
      },
    );
    if (Object.hasOwn(out, m[1])) throw new Error(`duplicate element ${m[1]}`);
    out[m[1]] = value;
  }
  return out;
}
