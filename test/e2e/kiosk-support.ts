/**
 * The kiosk against the real server, without a browser: a MariaDB database of its own, the WeChat
 * simulator, `pnpm jifen serve` (a child process, seeded with the demo data), the virtual printer, the
 * kiosk's device service and its host (browser mode), and a client that calls the host's HTTP API
 * exactly as the UI does (createHttpBridge). What kiosk-host.test.ts and kiosk-server.test.ts both start.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { createHttpBridge, createKioskClient, createKioskService, startHostServer } from '@jifen/kiosk';
import type { HostServer, KioskClient, KioskService, KioskServiceOptions } from '@jifen/kiosk';
import { startVirtualPrinter, type VirtualPrinter } from '../sim/printer/index.js';
import { startWechatSimulator, type WechatSimulator, type WechatSimulatorOptions } from '../sim/wechat/index.js';
import {
  baseEnv,
  createTestDatabase,
  freePort,
  issueTerminal,
  runJifen,
  serverProcess,
  wechatEnv,
  type ServerProcess,
  type TestDatabase,
} from './support.js';

export interface KioskOnServer {
  db: TestDatabase;
  sim: WechatSimulator;
  server: ServerProcess;
  printer: VirtualPrinter;
  service: KioskService;
  host: HostServer;
  dataDir: string;
  /** The host's HTTP API, called as the UI calls it. */
  client: KioskClient;
  /** Stops all of it, last started first, and drops the database. */
  close(): Promise<void>;
}

export interface KioskOnServerOptions {
  /** The kiosk's data directory is a new temporary one with this prefix. */
  dataDirPrefix: string;
  /** Added to the simulator's options (fast clock, http notify URLs, public-key mode). */
  sim?: WechatSimulatorOptions;
  /** The kiosk's offline queue timings. */
  queue?: KioskServiceOptions['queue'];
}

export async function startKioskOnServer(options: KioskOnServerOptions): Promise<KioskOnServer> {
  const started: Partial<KioskOnServer> = {};
  const close = async (): Promise<void> => {
    await started.host?.close();
    await started.service?.close();
    await started.printer?.close();
    await started.server?.stop('SIGTERM').catch(() => undefined);
    await started.sim?.close();
    await started.db?.drop();
    if (started.dataDir) await rm(started.dataDir, { recursive: true, force: true });
  };
  try {
    const db = (started.db = await createTestDatabase());
    const sim = (started.sim = await startWechatSimulator({
      port: 0,
      timeFactor: 0.01,
      allowHttpNotifyUrl: true,
      keyMode: 'publicKey',
      ...options.sim,
    }));
    const port = await freePort();
    const env = { ...baseEnv(db.url), ...wechatEnv(sim, `http://127.0.0.1:${port}`) };
    const seeded = await runJifen(['seed', '--demo'], env);
    expect(seeded.code, seeded.stderr).toBe(0);
    const server = (started.server = serverProcess('jifen', port, env));
    await server.start();
    const till = await issueTerminal(server.url);
    const printer = (started.printer = await startVirtualPrinter({ port: 0 }));
    const dataDir = (started.dataDir = await mkdtemp(join(tmpdir(), options.dataDirPrefix)));
    const service = (started.service = await createKioskService({
      dataDir,
      // Native QR on receipts, so the virtual printer can read the claim code's payload.
      configOverrides: { serverUrl: server.url, terminalToken: till, printerUri: printer.uri, qr: 'native', paper: '80mm' },
      watchMs: 100,
      ...(options.queue ? { queue: options.queue } : {}),
      log: () => undefined,
    }));
    const host = (started.host = await startHostServer({ table: service.table, rendererDir: dataDir, port: 0 }));
    const client = createKioskClient(createHttpBridge({ base: host.url.replace(/\/$/, '') }));
    return { db, sim, server, printer, service, host, dataDir, client, close };
  } catch (e) {
    await close().catch(() => undefined);
    throw e;
  }
}
