/**
 * Simulator options, their defaults, and the resolved configuration the modules share.
 *
 * The defaults are public TEST values (the wechatpay-java test key pairs copied to test/sim/keys), so
 * `startWechatSimulator({ port: 0 })` works out of the box and the Jifen server can be configured from
 * {@link DEFAULT_MERCHANT} plus the key files. Never use any of this outside tests and the sandbox.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { certificateSerial, toPublicKey, type KeyInput } from './crypto.js';
import type { KeyObject } from 'node:crypto';

export const DEFAULT_PORT = 3100;
export const DEFAULT_HOST = '127.0.0.1';

/** Where the bundled public test keys live (test/sim/keys). */
export const KEY_FILES = {
  merchantPrivateKey: fileURLToPath(new URL('../keys/merchant_private_key.pem', import.meta.url)),
  merchantCertificate: fileURLToPath(new URL('../keys/merchant_certificate.pem', import.meta.url)),
  platformPrivateKey: fileURLToPath(new URL('../keys/wechat_pay_private_key.pem', import.meta.url)),
  platformCertificate: fileURLToPath(new URL('../keys/wechat_pay_certificate.pem', import.meta.url)),
  platformPublicKey: fileURLToPath(new URL('../keys/wechat_pay_public_key.pem', import.meta.url)),
} as const;

/**
 * The merchant the simulator knows by default. The Jifen server must be configured with exactly these values
 * (plus the merchant private key file for signing, and the platform certificate / public key for verifying).
 */
export const DEFAULT_MERCHANT = {
  mchid: '1900000001',
  appid: 'wxd0000000000jifen',
  /** Serial of keys/merchant_certificate.pem (the merchant API certificate). */
  serialNo: '5F1C72E2A8931B72A2E13AF8DEE92471EB397115',
  /** 32 ASCII bytes, as AEAD_AES_256_GCM requires. */
  apiV3Key: 'JifenSimulatorApiV3Key0123456789',
  /** 32 chars, the APIv2 key for the payment-code (micropay) XML API. */
  apiV2Key: 'JifenSimulatorApiV2Key9876543210',
} as const;

export const DEFAULT_PLATFORM = {
  /** Serial of keys/wechat_pay_certificate.pem (the "platform certificate"). It expired on 2025-05-09. */
  certificateSerial: '440024045C4A427599D09BB4E3DE0279F2E813FD',
  /** The same key pair in public-key mode (keys/wechat_pay_public_key.pem): PUB_KEY_ID_ + 34 digits. */
  publicKeyId: 'PUB_KEY_ID_0119000000012025010100000000000001',
} as const;

export const DEFAULT_MINIPROGRAM = {
  /** The member mini-program; it is also bound to the merchant, so JSAPI orders may use this appid. */
  appid: 'wxd0000000000jifen',
  secret: 'f0e1d2c3b4a5968778695a4b3c2d1e0f',
} as const;

/**
 * WeChat's retry schedule after a failed or timed-out notification (§3): 15 retries, 24 h 4 min in total.
 * Multiplied by `timeFactor`.
 */
export const RETRY_SCHEDULE_MS: readonly number[] = [
  15e3,
  15e3,
  30e3,
  3 * 60e3,
  10 * 60e3,
  20 * 60e3,
  30 * 60e3,
  30 * 60e3,
  30 * 60e3,
  60 * 60e3,
  3 * 3600e3,
  3 * 3600e3,
  3 * 3600e3,
  6 * 3600e3,
  6 * 3600e3,
];

export type KeyMode = 'certificate' | 'publicKey' | 'mixed';
export type RefundOutcome = 'SUCCESS' | 'ABNORMAL' | 'CLOSED';

/** Notification faults; settable globally or per out_trade_no / out_refund_no. */
export interface NotifyFaults {
  /** Send N copies of the first delivery concurrently, each freshly signed (default 1). */
  duplicates?: number;
  /** Never deliver the notification (the order still reads SUCCESS when queried). */
  lose?: boolean;
  /** Wait this long (ms, not scaled) before the first delivery. */
  delayMs?: number;
  /**
   * When the order is created (native/jsapi), pay it at once and deliver the notification BEFORE the
   * order-creation HTTP response is returned: the merchant hears of a payment for an order it may not have
   * stored yet. `true` uses a simulated shopper; an object picks the openid/coupon.
   */
  beforeResponse?: boolean | { openid?: string; couponFen?: number };
  /** The first delivery round carries a `WECHATPAY/SIGNTEST/` probe signature; redeliveries are signed correctly. */
  probe?: boolean;
  /** After a success, deliver the same event this many more times on the retry schedule (WeChat does re-send). */
  repeats?: number;
  /** Emit the envelope with extra whitespace and \u-escaped Chinese, so JSON.stringify(JSON.parse(body)) !== body. */
  rawBodyTrap?: boolean;
}

export interface MerchantOptions {
  mchid?: string;
  appid?: string;
  /** Other appids bound to the merchant (e.g. an official account). The mini-program appid is always bound. */
  extraAppids?: string[];
  /** The merchant API certificate; its serial and public key are used to verify requests. */
  merchantCertPem?: string;
  /** Alternative to the certificate: the merchant public key plus `serial`. */
  merchantPublicKeyPem?: string;
  serial?: string;
  apiV3Key?: string;
  apiV2Key?: string;
  /** Platform-configured refund notify URL, used when a refund request carries no notify_url. */
  refundNotifyUrl?: string;
}

export interface PlatformCertificateInput {
  privateKeyPem: string;
  certificatePem: string;
}

export interface PlatformPublicKeyInput {
  privateKeyPem: string;
  publicKeyId: string;
}

export interface WechatSimulatorOptions {
  /** Default 3100; 0 picks a random free port. */
  port?: number;
  host?: string;
  /** Base URL used in download_url etc. when the simulator is reached through another name. */
  publicUrl?: string;
  merchant?: MerchantOptions;
  /** Platform key pairs. Default: keys/wechat_pay_* in both forms. The LAST of each list is active. */
  platform?: { certificates?: PlatformCertificateInput[]; publicKeys?: PlatformPublicKeyInput[] };
  /** Default 'certificate'. */
  keyMode?: KeyMode;
  /** In 'mixed' mode, the share (0..1) of notifications signed with the public key. Default 0.5. */
  publicKeyShare?: number;
  /** Multiplies the notification retry schedule (e.g. 0.001 → 15 ms instead of 15 s). Default 1. */
  timeFactor?: number;
  /** How long the merchant has to answer a notification (§3: 5 s). Not scaled by timeFactor. */
  deliveryTimeoutMs?: number;
  /** Share (0..1) of notification deliveries and API responses that carry a probe signature. Default 0. */
  probeRate?: number;
  /** Default for {@link NotifyFaults.rawBodyTrap}. */
  rawBodyTrap?: boolean;
  /** Global default faults. */
  faults?: NotifyFaults;
  refund?: {
    /** What a new refund turns into after `delayMs`; 'none' keeps it PROCESSING until refundOutcome(). Default SUCCESS. */
    autoOutcome?: RefundOutcome | 'none';
    /** Default 1000 ms (not scaled). */
    delayMs?: number;
  };
  micropay?: {
    /** USERPAYING_THEN_SUCCESS: how long the shopper takes to enter the password. Default 3000 ms (simulator clock). */
    userPayingMs?: number;
  };
  miniprogram?: {
    appid?: string;
    secret?: string;
    /** Give auto-derived users a unionid (as if the app were bound to an Open Platform account). Default false. */
    autoUnionid?: boolean;
  };
  /** Clock source for the simulator (epoch ms). Default Date.now. */
  now?: () => number;
  /** Accept http:// notify_url for any host (default: only for loopback hosts). */
  allowHttpNotifyUrl?: boolean;
  /** Diagnostic log sink (default: silent). */
  log?: (line: string) => void;
}

export interface MerchantConfig {
  mchid: string;
  appid: string;
  appids: Set<string>;
  serial: string;
  publicKey: KeyObject;
  certificatePem?: string;
  apiV3Key: string;
  apiV2Key: string;
  refundNotifyUrl?: string;
}

/** Settings that may change at runtime through configure() and are restored by reset(). */
export interface RuntimeSettings {
  keyMode: KeyMode;
  publicKeyShare: number;
  timeFactor: number;
  deliveryTimeoutMs: number;
  probeRate: number;
  rawBodyTrap: boolean;
  faults: NotifyFaults;
  refundAutoOutcome: RefundOutcome | 'none';
  refundDelayMs: number;
  userPayingMs: number;
}

export interface ResolvedConfig {
  port: number;
  host: string;
  publicUrl?: string;
  merchant: MerchantConfig;
  platformCertificates: PlatformCertificateInput[];
  platformPublicKeys: PlatformPublicKeyInput[];
  miniprogram: { appid: string; secret: string; autoUnionid: boolean };
  allowHttpNotifyUrl: boolean;
  settings: RuntimeSettings;
  log: (line: string) => void;
}

/** Reads the bundled key files (at call time, not at import time). */
export function loadDefaultKeys(): {
  merchantPrivateKeyPem: string;
  merchantCertificatePem: string;
  platformPrivateKeyPem: string;
  platformCertificatePem: string;
  platformPublicKeyPem: string;
} {
  const read = (p: string): string => readFileSync(p, 'utf8');
  return {
    merchantPrivateKeyPem: read(KEY_FILES.merchantPrivateKey),
    merchantCertificatePem: read(KEY_FILES.merchantCertificate),
    platformPrivateKeyPem: read(KEY_FILES.platformPrivateKey),
    platformCertificatePem: read(KEY_FILES.platformCertificate),
    platformPublicKeyPem: read(KEY_FILES.platformPublicKey),
  };
}

function share(value: number | undefined, fallback: number, name: string): number {
  const v = value ?? fallback;
  if (!(v >= 0 && v <= 1)) throw new Error(`${name} must be within 0..1`);
  return v;
}

export function resolveConfig(options: WechatSimulatorOptions): ResolvedConfig {
  const defaults = loadDefaultKeys();
  const m = options.merchant ?? {};
  let publicKeyInput: KeyInput;
  let serial: string;
  let certificatePem: string | undefined;
  if (m.merchantCertPem) {
    certificatePem = m.merchantCertPem;
    publicKeyInput = m.merchantCertPem;
    serial = m.serial ?? certificateSerial(m.merchantCertPem);
  } else if (m.merchantPublicKeyPem) {
    if (!m.serial) throw new Error('merchant.serial is required with merchant.merchantPublicKeyPem');
    publicKeyInput = m.merchantPublicKeyPem;
    serial = m.serial;
  } else {
    certificatePem = defaults.merchantCertificatePem;
    publicKeyInput = defaults.merchantCertificatePem;
    serial = m.serial ?? certificateSerial(defaults.merchantCertificatePem);
  }
  const apiV3Key = m.apiV3Key ?? DEFAULT_MERCHANT.apiV3Key;
  if (Buffer.byteLength(apiV3Key, 'utf8') !== 32) throw new Error('merchant.apiV3Key must be 32 bytes');
  const mini = {
    appid: options.miniprogram?.appid ?? DEFAULT_MINIPROGRAM.appid,
    secret: options.miniprogram?.secret ?? DEFAULT_MINIPROGRAM.secret,
    autoUnionid: options.miniprogram?.autoUnionid ?? false,
  };
  const appid = m.appid ?? DEFAULT_MERCHANT.appid;
  const merchant: MerchantConfig = {
    mchid: m.mchid ?? DEFAULT_MERCHANT.mchid,
    appid,
    appids: new Set([appid, mini.appid, ...(m.extraAppids ?? [])]),
    serial,
    publicKey: toPublicKey(publicKeyInput),
    apiV3Key,
    apiV2Key: m.apiV2Key ?? DEFAULT_MERCHANT.apiV2Key,
  };
  if (certificatePem !== undefined) merchant.certificatePem = certificatePem;
  if (m.refundNotifyUrl !== undefined) merchant.refundNotifyUrl = m.refundNotifyUrl;

  const timeFactor = options.timeFactor ?? 1;
  if (!(timeFactor > 0)) throw new Error('timeFactor must be > 0');
  const resolved: ResolvedConfig = {
    port: options.port ?? DEFAULT_PORT,
    host: options.host ?? DEFAULT_HOST,
    merchant,
    platformCertificates: options.platform?.certificates ?? [
      { privateKeyPem: defaults.platformPrivateKeyPem, certificatePem: defaults.platformCertificatePem },
    ],
    platformPublicKeys: options.platform?.publicKeys ?? [
      { privateKeyPem: defaults.platformPrivateKeyPem, publicKeyId: DEFAULT_PLATFORM.publicKeyId },
    ],
    miniprogram: mini,
    allowHttpNotifyUrl: options.allowHttpNotifyUrl ?? false,
    settings: {
      keyMode: options.keyMode ?? 'certificate',
      publicKeyShare: share(options.publicKeyShare, 0.5, 'publicKeyShare'),
      timeFactor,
      deliveryTimeoutMs: options.deliveryTimeoutMs ?? 5000,
      probeRate: share(options.probeRate, 0, 'probeRate'),
      rawBodyTrap: options.rawBodyTrap ?? false,
      faults: { ...(options.faults ?? {}) },
      refundAutoOutcome: options.refund?.autoOutcome ?? 'SUCCESS',
      refundDelayMs: options.refund?.delayMs ?? 1000,
      userPayingMs: options.micropay?.userPayingMs ?? 3000,
    },
    log: options.log ?? (() => undefined),
  };
  if (options.publicUrl !== undefined) resolved.publicUrl = options.publicUrl.replace(/\/$/, '');
  return resolved;
}
