/**
 * WeChat Pay and mini-program settings from the environment (names fixed by the contract; see
 * server/src/config.ts). Everything is read and parsed once here, so a bad key file or a 31-byte APIv3 key
 * stops the server at start with the variable's name instead of failing on the first payment.
 *
 * Not configured at all → null (the server runs without WeChat payments). Half-configured → an error that
 * lists what is missing: a server that silently runs without payments because one variable has a typo is
 * worse than one that refuses to start.
 */
import { X509Certificate, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { PlatformKeyEntry } from './platform-keys.js';

/** The environment names this module reads. `Config` from server/src/config.ts satisfies it. */
export interface WxEnv {
  WXPAY_MCHID?: string | undefined;
  WXPAY_BASE_URL?: string | undefined;
  WXPAY_MERCHANT_KEY_FILE?: string | undefined;
  WXPAY_MERCHANT_SERIAL?: string | undefined;
  WXPAY_APIV3_KEY?: string | undefined;
  WXPAY_PUBLIC_KEY_FILE?: string | undefined;
  WXPAY_PUBLIC_KEY_ID?: string | undefined;
  WXPAY_PLATFORM_CERT_FILE?: string | undefined;
  WXPAY_NOTIFY_BASE?: string | undefined;
  WXPAY_APIV2_KEY?: string | undefined;
  /**
   * Not in the contract yet: the merchant API certificate (apiclient_cert.pem) for the mutual TLS that the
   * real /secapi/pay/reverse requires. Without it, reverse works against the simulator only.
   */
  WXPAY_MERCHANT_CERT_FILE?: string | undefined;
  WECHAT_APPID?: string | undefined;
  WECHAT_APPSECRET?: string | undefined;
  WECHAT_API_BASE?: string | undefined;
}

export const DEFAULT_WXPAY_BASE_URL = 'https://api.mch.weixin.qq.com';
export const DEFAULT_WECHAT_API_BASE = 'https://api.weixin.qq.com';

export type CertificateDownload = 'required' | 'optional' | 'off';

export interface WxPayConfig {
  mchid: string;
  /** The mini-program (WECHAT_APPID): JSAPI orders and paySign use it. */
  appid: string;
  /** No trailing slash. */
  baseUrl: string;
  /** Serial of the merchant API certificate, upper-case hex. */
  merchantSerial: string;
  merchantPrivateKey: KeyObject;
  /** Exactly 32 bytes (checked). */
  apiV3Key: string;
  /** APIv2 key for the payment-code XML API; null disables micropay/orderquery/reverse. */
  apiV2Key: string | null;
  /** Public base URL WeChat calls back on, no trailing slash. */
  notifyBase: string;
  /** Platform certificates from WXPAY_PLATFORM_CERT_FILE (the file may hold several, for a rotation). */
  platformCertificates: PlatformKeyEntry[];
  /** WeChat Pay public key (public-key mode), from WXPAY_PUBLIC_KEY_FILE + WXPAY_PUBLIC_KEY_ID. */
  publicKey: PlatformKeyEntry | null;
  /**
   * /v3/certificates: 'required' when no platform key is configured (the start fails without one);
   * 'optional' otherwise, so a rotated certificate (or the certificate side of a public-key migration) is
   * picked up without a redeploy, and a merchant without certificates just logs it.
   */
  certificateDownload: CertificateDownload;
  /** Client certificate for /secapi (mutual TLS); null when WXPAY_MERCHANT_CERT_FILE is not set. */
  secapiTls: { cert: string; key: string } | null;
}

export interface MiniProgramConfig {
  appid: string;
  secret: string;
  /** No trailing slash. */
  apiBase: string;
}

export class WxConfigError extends Error {
  override name = 'WxConfigError';
}

/** Empty strings count as unset: `FOO=` in an env file means "not configured". */
function val(env: WxEnv, name: keyof WxEnv): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function readFile(name: keyof WxEnv, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new WxConfigError(`${name}: cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function httpUrl(name: keyof WxEnv, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new WxConfigError(`${name}: not a URL: ${value}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new WxConfigError(`${name}: must be an http(s) URL: ${value}`);
  if (url.search !== '' || url.hash !== '') throw new WxConfigError(`${name}: must not carry a query string or fragment: ${value}`);
  return value.replace(/\/+$/, '');
}

function exactly32Bytes(name: keyof WxEnv, value: string): string {
  const n = Buffer.byteLength(value, 'utf8');
  if (n !== 32) throw new WxConfigError(`${name}: must be exactly 32 bytes (got ${n})`);
  return value;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Every certificate in a PEM file, keyed by its serial (upper-case hex, as WeChat writes it). */
export function certificatesFromPem(pem: string, source: string): PlatformKeyEntry[] {
  const blocks = pem.match(PEM_CERT) ?? [];
  if (blocks.length === 0) throw new WxConfigError(`${source}: no PEM certificate found`);
  return blocks.map((block) => {
    try {
      const x509 = new X509Certificate(block);
      return { serial: x509.serialNumber.toUpperCase(), kind: 'certificate' as const, key: x509.publicKey };
    } catch (err) {
      throw new WxConfigError(`${source}: invalid certificate: ${err instanceof Error ? err.message : String(err)}`);
    }
  });
}

const PAY_VARS = [
  'WXPAY_MCHID',
  'WXPAY_MERCHANT_KEY_FILE',
  'WXPAY_MERCHANT_SERIAL',
  'WXPAY_APIV3_KEY',
  'WXPAY_PUBLIC_KEY_FILE',
  'WXPAY_PUBLIC_KEY_ID',
  'WXPAY_PLATFORM_CERT_FILE',
  'WXPAY_NOTIFY_BASE',
  'WXPAY_APIV2_KEY',
  'WXPAY_MERCHANT_CERT_FILE',
] as const satisfies readonly (keyof WxEnv)[];

const PAY_REQUIRED = [
  'WXPAY_MCHID',
  'WXPAY_MERCHANT_KEY_FILE',
  'WXPAY_MERCHANT_SERIAL',
  'WXPAY_APIV3_KEY',
  'WXPAY_NOTIFY_BASE',
  'WECHAT_APPID',
] as const satisfies readonly (keyof WxEnv)[];

/**
 * WeChat Pay settings, or null when none of the WXPAY_* variables is set (WXPAY_BASE_URL alone does not
 * count: server/src/config.ts gives it a default). Throws WxConfigError naming the variable otherwise.
 */
export function loadWxPayConfig(env: WxEnv): WxPayConfig | null {
  if (!PAY_VARS.some((n) => val(env, n) !== undefined)) return null;
  const missing = PAY_REQUIRED.filter((n) => val(env, n) === undefined);
  if (missing.length > 0)
    throw new WxConfigError(
      `WeChat Pay is half-configured: ${missing.join(', ')} missing (set all of ${PAY_REQUIRED.join(', ')}, or no WXPAY_* at all)`,
    );
  const get = (n: (typeof PAY_REQUIRED)[number]): string => val(env, n) ?? '';

  const mchid = get('WXPAY_MCHID');
  if (!/^\d{1,32}$/.test(mchid)) throw new WxConfigError(`WXPAY_MCHID: must be the numeric merchant id (got ${mchid})`);
  const appid = get('WECHAT_APPID');
  if (!/^wx[0-9A-Za-z]{8,30}$/.test(appid)) throw new WxConfigError(`WECHAT_APPID: not an appid (got ${appid})`);
  const merchantSerial = get('WXPAY_MERCHANT_SERIAL').toUpperCase();
  if (!/^[0-9A-F]{8,64}$/.test(merchantSerial))
    throw new WxConfigError('WXPAY_MERCHANT_SERIAL: must be the hex serial of the merchant API certificate');

  const keyFile = get('WXPAY_MERCHANT_KEY_FILE');
  const keyPem = readFile('WXPAY_MERCHANT_KEY_FILE', keyFile);
  let merchantPrivateKey: KeyObject;
  try {
    merchantPrivateKey = createPrivateKey(keyPem);
  } catch (err) {
    throw new WxConfigError(
      `WXPAY_MERCHANT_KEY_FILE: ${keyFile} is not a PEM private key: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (merchantPrivateKey.asymmetricKeyType !== 'rsa') throw new WxConfigError(`WXPAY_MERCHANT_KEY_FILE: ${keyFile} is not an RSA key`);

  const apiV3Key = exactly32Bytes('WXPAY_APIV3_KEY', get('WXPAY_APIV3_KEY'));
  const v2 = val(env, 'WXPAY_APIV2_KEY');
  const apiV2Key = v2 === undefined ? null : exactly32Bytes('WXPAY_APIV2_KEY', v2);
  const notifyBase = httpUrl('WXPAY_NOTIFY_BASE', get('WXPAY_NOTIFY_BASE'));
  const baseUrl = httpUrl('WXPAY_BASE_URL', val(env, 'WXPAY_BASE_URL') ?? DEFAULT_WXPAY_BASE_URL);

  // Public-key mode: both halves or neither.
  const pubFile = val(env, 'WXPAY_PUBLIC_KEY_FILE');
  const pubId = val(env, 'WXPAY_PUBLIC_KEY_ID');
  let publicKey: PlatformKeyEntry | null = null;
  if (pubFile !== undefined || pubId !== undefined) {
    if (pubFile === undefined) throw new WxConfigError('WXPAY_PUBLIC_KEY_FILE: missing (WXPAY_PUBLIC_KEY_ID is set)');
    if (pubId === undefined) throw new WxConfigError('WXPAY_PUBLIC_KEY_ID: missing (WXPAY_PUBLIC_KEY_FILE is set)');
    if (!/^PUB_KEY_ID_\d+$/.test(pubId)) throw new WxConfigError(`WXPAY_PUBLIC_KEY_ID: must look like PUB_KEY_ID_0123… (got ${pubId})`);
    const pem = readFile('WXPAY_PUBLIC_KEY_FILE', pubFile);
    try {
      publicKey = { serial: pubId, kind: 'publicKey', key: createPublicKey(pem) };
    } catch (err) {
      throw new WxConfigError(
        `WXPAY_PUBLIC_KEY_FILE: ${pubFile} is not a PEM public key: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }

  const certFile = val(env, 'WXPAY_PLATFORM_CERT_FILE');
  const platformCertificates =
    certFile === undefined
      ? []
      : certificatesFromPem(readFile('WXPAY_PLATFORM_CERT_FILE', certFile), `WXPAY_PLATFORM_CERT_FILE ${certFile}`);
  // The plugin refuses a platform key under the merchant's own serial; so do we, with a clearer message.
  if (platformCertificates.some((c) => c.serial === merchantSerial))
    throw new WxConfigError('WXPAY_PLATFORM_CERT_FILE: holds the merchant certificate, not a WeChat Pay platform certificate');

  let secapiTls: WxPayConfig['secapiTls'] = null;
  const merchantCertFile = val(env, 'WXPAY_MERCHANT_CERT_FILE');
  if (merchantCertFile !== undefined) {
    const certPem = readFile('WXPAY_MERCHANT_CERT_FILE', merchantCertFile);
    let x509: X509Certificate;
    try {
      x509 = new X509Certificate(certPem);
    } catch (err) {
      throw new WxConfigError(
        `WXPAY_MERCHANT_CERT_FILE: ${merchantCertFile} is not a PEM certificate: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    // The most common misconfiguration: a serial or key that does not belong to the certificate.
    if (x509.serialNumber.toUpperCase() !== merchantSerial)
      throw new WxConfigError(
        `WXPAY_MERCHANT_SERIAL: ${merchantSerial} is not the serial of WXPAY_MERCHANT_CERT_FILE (${x509.serialNumber.toUpperCase()})`,
      );
    if (!x509.checkPrivateKey(merchantPrivateKey))
      throw new WxConfigError('WXPAY_MERCHANT_KEY_FILE: does not match WXPAY_MERCHANT_CERT_FILE');
    secapiTls = { cert: certPem, key: keyPem };
  }

  return {
    mchid,
    appid,
    baseUrl,
    merchantSerial,
    merchantPrivateKey,
    apiV3Key,
    apiV2Key,
    notifyBase,
    platformCertificates,
    publicKey,
    certificateDownload: platformCertificates.length === 0 && publicKey === null ? 'required' : 'optional',
    secapiTls,
  };
}

/**
 * Mini-program server API settings, or null without WECHAT_APPSECRET (WECHAT_APPID alone is normal: a
 * payments-only deployment needs the appid for orders but never logs members in).
 */
export function loadMiniProgramConfig(env: WxEnv): MiniProgramConfig | null {
  const appid = val(env, 'WECHAT_APPID');
  const secret = val(env, 'WECHAT_APPSECRET');
  if (secret === undefined) return null;
  if (appid === undefined) throw new WxConfigError('WECHAT_APPID: missing (WECHAT_APPSECRET is set)');
  if (!/^wx[0-9A-Za-z]{8,30}$/.test(appid)) throw new WxConfigError(`WECHAT_APPID: not an appid (got ${appid})`);
  return { appid, secret, apiBase: httpUrl('WECHAT_API_BASE', val(env, 'WECHAT_API_BASE') ?? DEFAULT_WECHAT_API_BASE) };
}
