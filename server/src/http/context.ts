import type Koa from 'koa';
import type { Config } from '../config.js';
import type { Db } from '../db/connect.js';
import type { CodeSigner } from '../lib/codes.js';
import type { PersonalDataCipher } from '../lib/crypto.js';
import type { PaymentDeps, WxPayRuntime } from '../commands/orders.js';
import type { Metrics } from './metrics.js';
import type { MiniProgramClient } from '../wechat/types.js';
import type { Logger } from '../logger.js';
import type { TerminalPrincipal } from '../commands/terminals.js';

/** Everything a handler may use, built once at start and shared by all requests. */
export interface Services {
  config: Config;
  db: Db;
  cipher: PersonalDataCipher;
  logger: Logger;
  now: () => number;
  codes: CodeSigner;
  /** Null when WeChat Pay is not configured: cash still works, WeChat payments answer 503. */
  wxpay: WxPayRuntime | null;
  metrics: Metrics;
  /** The mini-program server API (subscribe messages, login, phone numbers); null when not configured. */
  mp: MiniProgramClient | null;
  /** The dependencies of order and refund commands, drawn from the above. */
  paymentDeps(): PaymentDeps;
}

export type { TerminalPrincipal };

export interface StaffPrincipal {
  staffId: number;
  username: string;
  role: string;
  storeId: number | null;
}

export interface AppState {
  requestId: string;
  log: Logger;
  rawBody?: Buffer;
  staff?: StaffPrincipal;
  terminal?: TerminalPrincipal;
}

export type AppContext = Koa.ParameterizedContext<AppState>;

declare module 'koa' {
  interface Request {
    /** Set by bodyReader: the parsed JSON body ({} when empty); validate before use. */
    body?: unknown;
  }
}
