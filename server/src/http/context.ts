import type Koa from 'koa';
import type { Config } from '../config.js';
import type { Db } from '../db/connect.js';
import type { PersonalDataCipher } from '../lib/crypto.js';
import type { Logger } from '../logger.js';

/** Everything a handler may use, built once at start and shared by all requests. */
export interface Services {
  config: Config;
  db: Db;
  cipher: PersonalDataCipher;
  logger: Logger;
  now: () => number;
}

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
}

export type AppContext = Koa.ParameterizedContext<AppState>;

declare module 'koa' {
  interface Request {
    /** Set by bodyReader: the parsed JSON body ({} when empty); validate before use. */
    body?: unknown;
  }
}
