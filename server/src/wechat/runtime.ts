/**
 * Builds the server's WeChat wiring from its configuration: the WeChat Pay client and notification
 * verifier (sharing one platform-key store, so a certificate fetched during a rotation is trusted by
 * both), and the mini-program API client. Each is null when not configured.
 */
import type { Config } from '../config.js';
import type { WxPayRuntime } from '../commands/orders.js';
import type { Logger } from '../logger.js';
import { loadMiniProgramConfig, loadWxPayConfig } from './config.js';
import { createMiniProgramClient } from './mp-client.js';
import { createNotificationVerifier } from './notify-verifier.js';
import { createWxPayClient } from './pay-client.js';
import type { MiniProgramClient } from './types.js';

export interface WechatRuntime {
  wxpay: WxPayRuntime | null;
  mp: MiniProgramClient | null;
  stop(): void;
}

export interface WechatRuntimeOptions {
  /** Payment-code loop: 5 s between questions and 45 s in all, as WeChat advises; tests shorten them. */
  micropayPollMs?: number;
  micropayMaxWaitMs?: number;
}

export async function createWechatRuntime(config: Config, logger: Logger, options: WechatRuntimeOptions = {}): Promise<WechatRuntime> {
  const payCfg = loadWxPayConfig(config);
  const client = payCfg ? await createWxPayClient(payCfg, { logger }) : null;
  const wxpay: WxPayRuntime | null =
    payCfg && client
      ? {
          client,
          verifier: createNotificationVerifier({ apiV3Key: payCfg.apiV3Key, platformKeys: client.platformKeys }),
          notifyBase: payCfg.notifyBase,
          mchid: payCfg.mchid,
          appid: payCfg.appid,
          micropayPollMs: options.micropayPollMs ?? 5_000,
          micropayMaxWaitMs: options.micropayMaxWaitMs ?? 45_000,
        }
      : null;
  const mpCfg = loadMiniProgramConfig(config);
  return {
    wxpay,
    mp: mpCfg ? createMiniProgramClient(mpCfg) : null,
    stop: () => client?.stop(),
  };
}
