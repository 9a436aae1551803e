/**
 * The WeChat Pay cryptography the clients and the notification verifier share (node:crypto only):
 * request signing (§1), response/notification signature checks over RAW bytes (§2), AEAD_AES_256_GCM
 * (§3) and the APIv2 MD5 sign (§5). Keys arrive as KeyObjects parsed once: re-parsing a PEM per
 * verify costs ~6x (stack.md: 32k verifies/s with key objects, 5.6k from PEM).
 */
import {
  createDecipheriv,
  createHash,
  createSecretKey,
  randomInt,
  sign as rsaSign,
  timingSafeEqual,
  verify as rsaVerify,
  type KeyObject,
} from 'node:crypto';

/** Value of `Wechatpay-Signature-Type` and the Authorization scheme. */
export const AUTH_SCHEME = 'WECHATPAY2-SHA256-RSA2048';
/** WeChat deliberately sends a few wrong signatures starting with this, to see whether merchants check (§2). */
export const PROBE_PREFIX = 'WECHATPAY/SIGNTEST/';
/** Every official SDK refuses answers and notifications further than this from the local clock. */
export const MAX_CLOCK_SKEW_SECONDS = 300;

const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** 32 chars of [0-9A-Za-z], what the SDKs use for nonce_str / nonceStr. randomInt keeps it unbiased. */
export function randomNonce(length = 32): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALNUM[randomInt(ALNUM.length)] ?? '0';
  return out;
}

/** Base64(SHA256withRSA(message)), PKCS#1 v1.5: the only signature WeChat Pay v3 uses. */
export function signSha256Rsa(message: string | Buffer, privateKey: KeyObject): string {
  return rsaSign('RSA-SHA256', typeof message === 'string' ? Buffer.from(message, 'utf8') : message, privateKey).toString('base64');
}

/** Verifies a Base64 SHA256withRSA signature; anything malformed (a probe included) is just "not valid". */
export function verifySha256Rsa(message: Buffer, signatureB64: string, publicKey: KeyObject): boolean {
  if (!BASE64.test(signatureB64)) return false;
  try {
    return rsaVerify('RSA-SHA256', message, publicKey, Buffer.from(signatureB64, 'base64'));
  } catch {
    return false;
  }
}

/** The 5-line request signing string `METHOD\nURL\nTS\nNONCE\nBODY\n` (§1). */
export function authorizationHeader(input: {
  mchid: string;
  serial: string;
  privateKey: KeyObject;
  method: string;
  /** Raw path + query as sent, no scheme/host. */
  url: string;
  body: string;
  timestamp?: number;
  nonce?: string;
}): string {
  const ts = input.timestamp ?? Math.floor(Date.now() / 1000);
  const nonce = input.nonce ?? randomNonce();
  const signature = signSha256Rsa(`${input.method.toUpperCase()}\n${input.url}\n${ts}\n${nonce}\n${input.body}\n`, input.privateKey);
  return `${AUTH_SCHEME} mchid="${input.mchid}",nonce_str="${nonce}",timestamp="${ts}",serial_no="${input.serial}",signature="${signature}"`;
}

/** `ts\nnonce\nRAW_BODY\n` built from the body BYTES: any re-serialisation would break the signature (§2, §8.1). */
export function responseMessage(timestamp: string, nonce: string, rawBody: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${timestamp}\n${nonce}\n`, 'utf8'), rawBody, Buffer.from('\n', 'utf8')]);
}

/** Where a verifier finds a platform key by `Wechatpay-Serial`: a Map, or the live PlatformKeyStore. */
export interface PlatformKeyLookup {
  get(serialOrId: string): KeyObject | undefined;
}

export type HeaderBag = Record<string, string | string[] | undefined>;

/** Case-insensitive lookup (Node lower-cases names, tests and proxies may not); the first of repeated values. */
export function headerValue(headers: HeaderBag, name: string): string | undefined {
  const direct = headers[name.toLowerCase()];
  const pick = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);
  if (direct !== undefined) return pick(direct);
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === lower) return pick(v);
  return undefined;
}

export type SignatureCheck =
  | { ok: true; serial: string }
  | { ok: false; reason: 'missing_headers' | 'probe' | 'unknown_serial' | 'stale_timestamp' | 'bad_signature' };

/**
 * Checks the `Wechatpay-*` headers of an answer or a notification over its raw bytes (§2): all four headers
 * present, not a probe, a known serial, |now − ts| ≤ maxSkew, then the RSA signature.
 */
export function checkWechatpaySignature(input: {
  headers: HeaderBag;
  rawBody: Buffer;
  keys: PlatformKeyLookup;
  nowSeconds: number;
  maxSkewSeconds?: number;
}): SignatureCheck {
  const ts = headerValue(input.headers, 'Wechatpay-Timestamp');
  const nonce = headerValue(input.headers, 'Wechatpay-Nonce');
  const signature = headerValue(input.headers, 'Wechatpay-Signature');
  const serial = headerValue(input.headers, 'Wechatpay-Serial');
  if (!ts || !nonce || !signature || !serial) return { ok: false, reason: 'missing_headers' };
  if (signature.startsWith(PROBE_PREFIX)) return { ok: false, reason: 'probe' };
  const key = input.keys.get(serial);
  if (key === undefined) return { ok: false, reason: 'unknown_serial' };
  // Milliseconds or garbage cannot be placed in the window: treat them like an old answer.
  if (!/^\d{1,12}$/.test(ts) || Math.abs(input.nowSeconds - Number(ts)) > (input.maxSkewSeconds ?? MAX_CLOCK_SKEW_SECONDS))
    return { ok: false, reason: 'stale_timestamp' };
  const type = headerValue(input.headers, 'Wechatpay-Signature-Type');
  if (type !== undefined && type !== AUTH_SCHEME) return { ok: false, reason: 'bad_signature' };
  if (!verifySha256Rsa(responseMessage(ts, nonce, input.rawBody), signature, key)) return { ok: false, reason: 'bad_signature' };
  return { ok: true, serial };
}

/** The APIv3 key as a secret KeyObject, refusing anything but 32 bytes (Go silently runs AES-128 on 16). */
export function apiV3KeyObject(apiV3Key: string): KeyObject {
  const bytes = Buffer.from(apiV3Key, 'utf8');
  if (bytes.length !== 32) throw new Error(`the APIv3 key must be exactly 32 bytes (got ${bytes.length})`);
  return createSecretKey(bytes);
}

/**
 * AEAD_AES_256_GCM as WeChat uses it: ciphertext = Base64(ct ‖ 16-byte tag), IV = UTF-8 nonce, AAD = UTF-8
 * associated_data. Throws on a wrong key/nonce/AAD or any tampered byte: final() checks the tag.
 */
export function aesGcmDecrypt(key: KeyObject, ciphertextB64: string, nonce: string, associatedData: string): Buffer {
  if (!BASE64.test(ciphertextB64)) throw new Error('ciphertext is not Base64');
  const buf = Buffer.from(ciphertextB64, 'base64');
  if (buf.length <= 16) throw new Error('ciphertext shorter than the GCM tag');
  if (nonce === '') throw new Error('empty nonce');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(nonce, 'utf8'), { authTagLength: 16 });
  decipher.setAAD(Buffer.from(associatedData, 'utf8'));
  decipher.setAuthTag(buf.subarray(buf.length - 16));
  return Buffer.concat([decipher.update(buf.subarray(0, buf.length - 16)), decipher.final()]);
}

// ---------------------------------------------------------------------------------------------------
// APIv2 (§5): sorted non-empty params `k=v&…&key=K`, MD5, upper hex. `sign` itself is excluded.

export type V2Params = Record<string, string | number | undefined>;

export function v2SignMd5(params: V2Params, apiV2Key: string): string {
  const text = Object.keys(params)
    .filter((k) => k !== 'sign' && params[k] !== undefined && params[k] !== '')
    .sort()
    .map((k) => `${k}=${String(params[k])}`)
    .join('&');
  return createHash('md5').update(`${text}&key=${apiV2Key}`, 'utf8').digest('hex').toUpperCase();
}

export function v2VerifyMd5(params: Record<string, string>, apiV2Key: string): boolean {
  const given = Buffer.from((params['sign'] ?? '').toUpperCase(), 'utf8');
  const want = Buffer.from(v2SignMd5(params, apiV2Key), 'utf8');
  return given.length === want.length && timingSafeEqual(given, want);
}

/** Flat `<xml>` with CDATA strings, as WeChat writes it; `]]>` is split so a value cannot close its section. */
export function xmlBuild(params: V2Params): string {
  const parts = ['<xml>'];
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`invalid XML element name ${k}`);
    parts.push(typeof v === 'number' ? `<${k}>${v}</${k}>` : `<${k}><![CDATA[${v.replaceAll(']]>', ']]]]><![CDATA[>')}]]></${k}>`);
  }
  parts.push('</xml>');
  return parts.join('');
}

const XML_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/**
 * Parses WeChat's flat v2 answer into a string map. DOCTYPE/ENTITY are refused (the XXE hole WeChat warned
 * merchants about), and so is nesting: the payment-code messages are one level deep.
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
    const [, name, raw, stray] = m;
    if (stray !== undefined || name === undefined || raw === undefined) throw new Error('malformed or nested XML');
    const value = raw.replace(
      /<!\[CDATA\[([\s\S]*?)\]\]>|&(lt|gt|amp|quot|apos);|&#(\d+);|&#x([0-9a-fA-F]+);/g,
      (_all, cdata?: string, ent?: string, dec?: string, hex?: string) => {
        if (cdata !== undefined) return cdata;
        if (ent !== undefined) return XML_ENTITIES[ent] ?? '';
        if (dec !== undefined) return String.fromCodePoint(Number(dec));
        return String.fromCodePoint(parseInt(hex ?? '0', 16));
      },
    );
    if (Object.hasOwn(out, name)) throw new Error(`duplicate element ${name}`);
    out[name] = value;
  }
  return out;
}
