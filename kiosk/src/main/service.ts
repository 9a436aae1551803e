/**
 * The device service: every setupX() module wired into one channel table, over one data directory.
 * Electron's main process serves the table over IPC (main/app.ts); the browser-mode host serves the
 * very same table over HTTP (host/server.ts). Nothing here imports Electron.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { KioskConfig, KioskConfigPatch } from '../ipc-contract.js';
import type { PosApi } from '../shared/pos-api.js';
import { acquireDataLock } from '../host/data-lock.js';
import type { DataLock } from '../host/data-lock.js';
import type { OfflineQueue } from '../host/offline-queue.js';
import { ConfigStore, setupConfig } from './config.js';
import { HttpPosApi } from './http-pos-api.js';
import { ChannelTable } from './ipc.js';
import { setupPos } from './pos.js';
import { setupPrinter } from './printer.js';
import type { PrinterModule } from './printer.js';
import { ProductCache } from './product-cache.js';
import { setupQueue } from './queue.js';
import { SalesLog } from './sales-log.js';
import { setupScanner } from './scanner.js';
import type { SerialScanner, SerialScannerOptions } from './devices/scanner.js';
import type { PrinterTransport } from './devices/transports.js';
import { setupShift } from './shift.js';
import type { ShiftModule } from './shift.js';

export interface KioskServiceOptions {
  /** Settings, journals and logs. One kiosk process per directory (a lock file enforces it). */
  dataDir: string;
  /** Applied to the stored settings at start (the host's command-line flags). */
  configOverrides?: KioskConfigPatch;
  /** Default: HttpPosApi over the configured server URL and token. */
  posApiFor?: (config: KioskConfig) => PosApi | null;
  printerTransportFor?: (uri: string) => PrinterTransport;
  openSerialScanner?: (options: SerialScannerOptions) => Promise<SerialScanner>;
  /** How often an unpaid WeChat order is asked about (pos.ts, WATCH_MS by default). */
  watchMs?: number;
  queue?: { retryMs?: number; retryMaxMs?: number; probeMs?: number };
  statusTimeoutMs?: number;
  now?: () => Date;
  log?: (line: string) => void;
}

export interface KioskService {
  table: ChannelTable;
  config: ConfigStore;
  queue: OfflineQueue;
  printer: PrinterModule;
  api(): PosApi | null;
  close(): Promise<void>;
}

export async function createKioskService(options: KioskServiceOptions): Promise<KioskService> {
  const log = options.log ?? (() => undefined);
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const lock: DataLock = await acquireDataLock(join(options.dataDir, 'kiosk.lock'));
  try {
    const table = new ChannelTable(log);
    const config = ConfigStore.open(join(options.dataDir, 'config.json'));
    if (options.configOverrides && Object.keys(options.configOverrides).length > 0) await config.update(options.configOverrides);
    const salesLog = await SalesLog.open(join(options.dataDir, 'sales-log.jsonl'));

    const build =
      options.posApiFor ??
      ((c: KioskConfig): PosApi | null =>
        c.serverUrl && c.terminalToken ? new HttpPosApi({ baseUrl: c.serverUrl, token: c.terminalToken }) : null);
    let api = build(config.get());
    config.onChange((next, previous) => {
      if (next.serverUrl !== previous.serverUrl || next.terminalToken !== previous.terminalToken) api = build(next);
    });
    const currentApi = (): PosApi | null => api;

    setupConfig(table, { store: config, api: currentApi });
    const queue = await setupQueue(table, {
      journalPath: join(options.dataDir, 'offline-journal.jsonl'),
      api: currentApi,
      ...options.queue,
      now: options.now,
      log,
    });
    let shift: ShiftModule | null = null;
    // The drawer log names the signed-in cashier.
    const cashierId = (): string => {
      const s = shift?.current();
      return s ? `${s.view.staff.id}:${s.view.staff.username}` : 'nobody';
    };
    const printer = await setupPrinter(table, {
      config,
      dataDir: options.dataDir,
      cashierId,
      transportFor: options.printerTransportFor,
      statusTimeoutMs: options.statusTimeoutMs,
      log,
    });
    const scanner = await setupScanner(table, { config, open: options.openSerialScanner, log });
    shift = setupShift(table, { config, api: currentApi, queue, salesLog, printer, now: options.now, log });
    const products = new ProductCache(join(options.dataDir, 'product-cache.json'));
    const pos = setupPos(table, {
      config,
      api: currentApi,
      queue,
      printer,
      shift,
      salesLog,
      products,
      watchMs: options.watchMs,
      now: options.now,
      log,
    });

    const missing = table.missing();
    if (missing.length > 0) throw new Error(`channels without a handler: ${missing.join(', ')}`);

    return {
      table,
      config,
      queue,
      printer,
      api: currentApi,
      async close() {
        pos.close();
        await scanner.close();
        await printer.close();
        await queue.close();
        await products.flush().catch(() => undefined);
        await salesLog.close();
        await lock.release();
      },
    };
  } catch (err) {
    await lock.release();
    throw err;
  }
}
