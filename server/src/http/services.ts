import type { Config } from '../config.js';
import type { Db } from '../db/connect.js';
import type { WxPayRuntime } from '../commands/orders.js';
import { CodeSigner } from '../lib/codes.js';
import { PersonalDataCipher } from '../lib/crypto.js';
import type { Logger } from '../logger.js';
import type { Services } from './context.js';
import type { MiniProgramClient } from '../wechat/types.js';
import { createMetrics } from './metrics.js';

/** Builds the services every handler and job shares, once per process. */
export function createServices(input: {
  config: Config;
  db: Db;
  logger: Logger;
  now?: () => number;
  wxpay?: WxPayRuntime | null;
  mp?: MiniProgramClient | null;
}): Services {
  const services: Services = {
    config: input.config,
    db: input.db,
    logger: input.logger,
    now: input.now ?? Date.now,
    cipher: new PersonalDataCipher(input.config.JIFEN_DATA_KEY),
    codes: new CodeSigner(input.config.JIFEN_SECRET),
    wxpay: input.wxpay ?? null,
    mp: input.mp ?? null,
    metrics: createMetrics(input.db),
    paymentDeps: () => ({
      db: services.db,
      now: services.now,
      logger: services.logger,
      cipher: services.cipher,
      codes: services.codes,
      wxpay: services.wxpay,
    }),
  };
  return services;
}
