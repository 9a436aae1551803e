/**
 * WeChat Pay and mini-program integration. The server builds everything from its Config:
 *
 *   const payCfg = loadWxPayConfig(config);                 // null → run without WeChat payments
 *   const client = payCfg && (await createWxPayClient(payCfg, { logger }));
 *   const verifier = client && createNotificationVerifier({ apiV3Key: payCfg.apiV3Key, platformKeys: client.platformKeys });
 *   const mpCfg = loadMiniProgramConfig(config);
 *   const mp = mpCfg && createMiniProgramClient(mpCfg);
 */
export type * from './types.js';
export { WxApiError } from './types.js';
export { WxProtocolError, WxSignatureError, WxTransportError, WxUnverifiedApiError, normalizeWxCode } from './errors.js';
export {
  DEFAULT_WECHAT_API_BASE,
  DEFAULT_WXPAY_BASE_URL,
  WxConfigError,
  loadMiniProgramConfig,
  loadWxPayConfig,
  type CertificateDownload,
  type MiniProgramConfig,
  type WxEnv,
  type WxPayConfig,
} from './config.js';
export { PlatformKeyStore, type PlatformKeyEntry, type PlatformKeyKind } from './platform-keys.js';
export { buildJsapiPayParams, createWxPayClient, type JifenWxPayClient, type WxPayClientOptions } from './pay-client.js';
export { createNotificationVerifier, type NotificationVerifierOptions } from './notify-verifier.js';
export { createMiniProgramClient, type MiniProgramClientOptions } from './mp-client.js';
export { TradeBillFormatError, parseTradeBill, yuanToFen } from './trade-bill.js';
export type { PlatformKeyLookup } from './wx-crypto.js';
