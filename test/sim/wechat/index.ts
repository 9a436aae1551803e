/**
 * A standalone WeChat simulator for Jifen: WeChat Pay API v3 (orders, refunds, bills, certificates,
 * notifications with faults), the APIv2 payment-code XML API, and the mini-program server APIs, on one port.
 *
 *   const sim = await startWechatSimulator({ port: 0, timeFactor: 0.001 });
 *   // point the Jifen server at sim.url with sim.jifenConfig(); drive the shopper with sim.pay(...)
 *   await sim.close();
 *
 * Protocol reference: /work/shared/docs/wechat-platform.md. Everything runs on node built-ins.
 */
import type { KeyObject } from 'node:crypto';
import { Clock, TimerRegistry } from './clock.js';
import { PlatformKeys, ShareAccumulator, certificatesRoute } from './auth.js';
import { Notifier } from './notify.js';
import { OrderBook } from './orders.js';
import { RefundDesk } from './refunds.js';
import { BillDesk } from './bill.js';
import { MicropayDesk } from './micropay.js';
import { MiniProgram } from './miniprogram.js';
import { createControl, controlRoutes, type SimulatorControl } from './control.js';
import { createSimServer } from './server.js';
import { resolveConfig, type MerchantConfig, type WechatSimulatorOptions } from './config.js';

export interface WechatSimulator extends SimulatorControl {
  /** `http://127.0.0.1:<port>`: use it as the WeChat Pay API host and the api.weixin.qq.com host. */
  readonly url: string;
  readonly port: number;
  readonly host: string;
  /** serial / PUB_KEY_ID → public key: what a correct merchant uses to verify answers and notifications. */
  platformVerificationKeys(): Map<string, KeyObject>;
  /** Simulator timers still scheduled (retries, refund outcomes, payment-code passwords…); 0 after close(). */
  pendingTimers(): number;
  /** Stops the server, every timer and every in-flight notification. Idempotent. */
  close(): Promise<void>;
}

export async function startWechatSimulator(options: WechatSimulatorOptions = {}): Promise<WechatSimulator> {
  const config = resolveConfig(options);
  const initialSettings = structuredClone(config.settings);
  const clock = new Clock(options.now);
  const timers = new TimerRegistry();
  const keys = new PlatformKeys(config.platformCertificates, config.platformPublicKeys);
  if (config.settings.keyMode !== 'publicKey' && !keys.activeCertificate())
    throw new Error(`keyMode ${config.settings.keyMode} needs a platform certificate`);
  if (config.settings.keyMode !== 'certificate' && !keys.activePublicKey())
    throw new Error(`keyMode ${config.settings.keyMode} needs a platform public key`);

  let baseUrl = '';
  const publicBase = (): string => config.publicUrl ?? baseUrl;
  const notifier = new Notifier(config, keys, clock, timers);
  const orders = new OrderBook(config, clock, notifier);
  const refunds = new RefundDesk(config, clock, timers, orders, notifier);
  const bills = new BillDesk(clock, orders, refunds, publicBase);
  const micropay = new MicropayDesk(config, clock, timers, orders, refunds);
  const mini = new MiniProgram(config, clock);
  const responseProbes = { forced: 0, gate: new ShareAccumulator() };

  const resetAll = (): void => {
    timers.clearAll();
    notifier.reset();
    orders.reset();
    refunds.reset();
    bills.reset();
    micropay.reset();
    mini.reset();
    keys.reset();
    clock.resetOffset();
    config.settings = structuredClone(initialSettings);
    responseProbes.forced = 0;
    responseProbes.gate.reset();
  };

  const control = createControl({
    config,
    clock,
    keys,
    orders,
    refunds,
    notifier,
    micropay,
    mini,
    responseProbes,
    baseUrl: publicBase,
    resetAll,
  });
  const merchants = new Map<string, MerchantConfig>([[config.merchant.mchid, config.merchant]]);
  const server = createSimServer({
    config,
    clock,
    keys,
    merchants,
    routes: [
      ...orders.routes(),
      ...refunds.routes(),
      ...bills.routes(),
      // settings is re-read on every call: configure()/reset() replace or mutate it.
      certificatesRoute(
        keys,
        {
          get keyMode() {
            return config.settings.keyMode;
          },
        },
        config.merchant.apiV3Key,
      ),
      ...micropay.routes(),
      ...mini.routes(),
      ...controlRoutes(control),
    ],
    probeResponse: () => {
      if (responseProbes.forced > 0) {
        responseProbes.forced--;
        return true;
      }
      return responseProbes.gate.take(config.settings.probeRate);
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const hostInUrl = config.host.includes(':') ? `[${config.host}]` : config.host;
  baseUrl = `http://${hostInUrl}:${port}`;
  config.log(`WeChat simulator listening on ${baseUrl}`);

  let closing: Promise<void> | undefined;
  return {
    ...control,
    url: baseUrl,
    port,
    host: config.host,
    platformVerificationKeys: () => keys.verificationKeys(),
    pendingTimers: () => timers.pending,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        timers.close();
        notifier.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

export {
  DEFAULT_HOST,
  DEFAULT_MERCHANT,
  DEFAULT_MINIPROGRAM,
  DEFAULT_PLATFORM,
  DEFAULT_PORT,
  KEY_FILES,
  RETRY_SCHEDULE_MS,
  loadDefaultKeys,
  type KeyMode,
  type MerchantOptions,
  type NotifyFaults,
  type PlatformCertificateInput,
  type PlatformPublicKeyInput,
  type RefundOutcome,
  type RuntimeSettings,
  type WechatSimulatorOptions,
} from './config.js';
export type { SimulatorControl, JifenWechatConfig, PayResult, SettingsPatch } from './control.js';
export type { DeliveryFilter, DeliveryRecord, EventState, NotificationEvent } from './notify.js';
export type { InjectTradeInput, PayOptions, PromotionDetail, TradeState, TradeType, TransactionJson } from './orders.js';
export type { RefundJson, RefundStatus } from './refunds.js';
export type { MicropayScenario } from './micropay.js';
export type { LoginIdentity, SentMessage } from './miniprogram.js';
export { buildEnvelope } from './notify.js';
export { BILL_COLUMNS, BILL_SUMMARY_COLUMNS, buildTradeBill, parseTradeBill, yuan } from './bill.js';
export { createSelfSignedCertificate, randomSerialHex } from './x509.js';
export { MerchantClient, v2Call, type MerchantClientOptions, type V3Response } from './client.js';
export * from './crypto.js';
