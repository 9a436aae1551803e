/**
 * Types for the part of the WeChat simulator (test/sim/wechat/index.ts) the server's tests use.
 * Hand-written on purpose: see simulator.js for why the real module cannot be imported with its types.
 */
import type { KeyObject } from 'node:crypto';

export type KeyMode = 'certificate' | 'publicKey' | 'mixed';
export type RefundOutcome = 'SUCCESS' | 'ABNORMAL' | 'CLOSED';
export type MicropayScenario =
  'SUCCESS' | 'USERPAYING_THEN_SUCCESS' | 'USERPAYING_FOREVER' | 'AUTHCODEEXPIRE' | 'NOTENOUGH' | 'SYSTEMERROR';

export interface NotifyFaults {
  duplicates?: number;
  lose?: boolean;
  delayMs?: number;
  probe?: boolean;
  repeats?: number;
  rawBodyTrap?: boolean;
}

export interface WechatSimulatorOptions {
  port?: number;
  host?: string;
  keyMode?: KeyMode;
  publicKeyShare?: number;
  timeFactor?: number;
  deliveryTimeoutMs?: number;
  probeRate?: number;
  rawBodyTrap?: boolean;
  faults?: NotifyFaults;
  refund?: { autoOutcome?: RefundOutcome | 'none'; delayMs?: number };
  micropay?: { userPayingMs?: number };
  now?: () => number;
  allowHttpNotifyUrl?: boolean;
  log?: (line: string) => void;
}

export interface JifenWechatConfig {
  baseUrl: string;
  mchid: string;
  appid: string;
  merchantSerialNo: string;
  apiV3Key: string;
  apiV2Key: string;
  merchantPrivateKeyFile: string;
  keyMode: KeyMode;
  platformCertificates: { serialNo: string; certificatePem: string; active: boolean }[];
  platformPublicKeys: { publicKeyId: string; publicKeyPem: string; active: boolean }[];
  miniprogram: { appid: string; secret: string };
}

export interface SimTransaction {
  mchid: string;
  appid: string;
  out_trade_no: string;
  transaction_id?: string;
  trade_state: string;
  amount: { total: number; payer_total?: number };
  [key: string]: unknown;
}

export interface SimRefund {
  out_refund_no: string;
  status: string;
  [key: string]: unknown;
}

export interface DeliveryRecord {
  seq: number;
  eventId: string;
  eventType: string;
  outTradeNo: string;
  round: number;
  headers: Record<string, string>;
  body: string;
  signedWith: 'certificate' | 'publicKey';
  serial: string;
  probe: boolean;
  status: number | null;
  success: boolean;
  pending: boolean;
}

export interface DeliveryFilter {
  outTradeNo?: string;
  outRefundNo?: string;
  eventType?: string;
  eventId?: string;
}

export interface SentMessage {
  openid: string;
  templateId: string;
  page?: string;
  data: Record<string, { value: string }>;
}

export interface WechatSimulator {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
  jifenConfig(): JifenWechatConfig;
  platformVerificationKeys(): Map<string, KeyObject>;
  pay(
    outTradeNo: string,
    options?: { openid?: string; couponFen?: number },
  ): {
    transaction: SimTransaction;
    eventId?: string;
    firstDelivery: Promise<void>;
  };
  refundOutcome(outRefundNo: string, outcome: RefundOutcome): SimRefund | undefined;
  setFaults(faults: NotifyFaults, key?: string): void;
  clearFaults(key?: string): void;
  deliveries(filter?: DeliveryFilter): DeliveryRecord[];
  waitForDeliveries(filter: DeliveryFilter, count?: number, timeoutMs?: number): Promise<DeliveryRecord[]>;
  order(outTradeNo: string): SimTransaction | undefined;
  micropayScenario(authCode: string, scenario: MicropayScenario, openid?: string): void;
  micropayConfirm(outTradeNo: string): SimTransaction;
  micropayReverseRecall(outTradeNo: string, times: number): void;
  subscribe(openid: string, templateId: string, count?: number): number;
  phoneCode(code: string, phone: string, countryCode?: string): void;
  loginCode(code: string, identity: { openid: string; unionid?: string }): void;
  openidForCode(code: string): string;
  expireTokens(): void;
  sentMessages(): SentMessage[];
  probeResponses(count: number): void;
  configure(patch: {
    keyMode?: KeyMode;
    publicKeyShare?: number;
    probeRate?: number;
    rawBodyTrap?: boolean;
    refundDelayMs?: number;
  }): unknown;
  advanceClock(ms: number): number;
  now(): number;
  addPlatformCertificate(input: { privateKeyPem: string; certificatePem: string }, activate?: boolean): string;
  addPlatformPublicKey(input: { privateKeyPem: string; publicKeyId: string }, activate?: boolean): string;
  activatePlatformKey(serialOrId: string): void;
  reset(): void;
}

export declare function startWechatSimulator(options?: WechatSimulatorOptions): Promise<WechatSimulator>;

export interface EnvelopeInput {
  id: string;
  createTime: string;
  eventType: string;
  summary: string;
  originalType: string;
  associatedData: string;
  plaintext: string;
  apiV3Key: string;
  nonce?: string;
  rawBodyTrap?: boolean;
}

export declare function buildEnvelope(input: EnvelopeInput): { body: string; ciphertext: string; nonce: string };

export interface WechatpayHeaders {
  'Wechatpay-Nonce': string;
  'Wechatpay-Signature': string;
  'Wechatpay-Timestamp': string;
  'Wechatpay-Serial': string;
  'Wechatpay-Signature-Type': string;
}

export declare function signResponse(input: {
  body?: string | Buffer;
  privateKey: string | Buffer | KeyObject;
  serial: string;
  timestamp?: number | string;
  nonce?: string;
  probe?: boolean;
}): WechatpayHeaders;

export declare function loadDefaultKeys(): {
  merchantPrivateKeyPem: string;
  merchantCertificatePem: string;
  platformPrivateKeyPem: string;
  platformCertificatePem: string;
  platformPublicKeyPem: string;
};

export declare function createSelfSignedCertificate(input: {
  privateKey: string | Buffer | KeyObject;
  serialHex?: string;
  notBeforeMs?: number;
  notAfterMs?: number;
}): string;

export declare const DEFAULT_MERCHANT: {
  readonly mchid: string;
  readonly appid: string;
  readonly serialNo: string;
  readonly apiV3Key: string;
  readonly apiV2Key: string;
};

export declare const DEFAULT_PLATFORM: { readonly certificateSerial: string; readonly publicKeyId: string };

export declare const KEY_FILES: {
  readonly merchantPrivateKey: string;
  readonly merchantCertificate: string;
  readonly platformPrivateKey: string;
  readonly platformCertificate: string;
  readonly platformPublicKey: string;
};
