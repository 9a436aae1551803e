/**
 * Starts Jifen's server: opens and migrates the database, creates the bootstrap admin, serves the
 * HTTP API and (unless JIFEN_JOBS=off) runs the background jobs under database leases.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bootstrapAdmin, loadConfig } from './config.js';
import type { Config } from './config.js';
import { openDatabase } from './db/connect.js';
import type { Db } from './db/connect.js';
import { migrateToLatest } from './db/migrate.js';
import { createApp } from './http/app.js';
import type { Services } from './http/context.js';
import { ensureBootstrapAdmin } from './commands/staff.js';
import { startJobs } from './jobs/runner.js';
import type { JobRunner } from './jobs/runner.js';
import { createServices } from './http/services.js';
import type { WxPayRuntime } from './commands/orders.js';
import type { MiniProgramClient } from './wechat/types.js';
import { createWechatRuntime } from './wechat/runtime.js';
import type { WechatRuntimeOptions } from './wechat/runtime.js';
import { createLogger } from './logger.js';
import type { Logger } from './logger.js';

export interface RunningServer {
  url: string;
  port: number;
  services: Services;
  close(): Promise<void>;
}

export interface StartOptions {
  config?: Config;
  logger?: Logger;
  /** Reuse an open database (tests); otherwise DATABASE_URL is opened and closed with the server. */
  db?: Db;
  now?: () => number;
  /** WeChat Pay wiring (tests and the sandbox pass one built for the simulator). */
  wxpay?: WxPayRuntime | null;
  mp?: MiniProgramClient | null;
  wechat?: WechatRuntimeOptions;
}

export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const config = options.config ?? loadConfig();
  const logger = options.logger ?? createLogger(config.JIFEN_LOG_LEVEL);
  const db = options.db ?? openDatabase(config.DATABASE_URL, { poolSize: config.JIFEN_DB_POOL });
  const applied = await migrateToLatest(db);
  if (applied.length > 0) logger.info({ applied }, 'migrations applied');
  const now = options.now ?? Date.now;
  // WeChat wiring comes from the environment unless the caller brings its own (tests).
  const wechat = options.wxpay === undefined && options.mp === undefined ? await createWechatRuntime(config, logger, options.wechat) : null;
  const services: Services = createServices({
    config,
    db,
    logger,
    now,
    wxpay: options.wxpay ?? wechat?.wxpay ?? null,
    mp: options.mp ?? wechat?.mp ?? null,
  });
  if (!services.wxpay) logger.warn('WeChat Pay is not configured: cash sales only');
  if (await ensureBootstrapAdmin(db, bootstrapAdmin(config), now())) logger.info('bootstrap admin created');
  const app = createApp(services);
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(config.PORT, config.HOST, () => resolve(s));
  });
  // WeChat gives up after 5 s; a request that takes longer is already lost.
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 65_000;
  const port = (server.address() as AddressInfo).port;
  const jobs: JobRunner | null = config.JIFEN_JOBS === 'on' ? startJobs(services) : null;
  const url = `http://${config.HOST}:${port}`;
  logger.info({ url, db: db.describe }, 'jifen server listening');
  return {
    url,
    port,
    services,
    async close() {
      await jobs?.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      wechat?.stop();
      if (!options.db) await db.close();
    },
  };
}
