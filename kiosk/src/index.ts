/**
 * What the test/ package (and a packaged app) needs from the kiosk: the device service, the
 * browser-mode host, the PosApi contract and its HTTP client, the offline queue, the UI bundler, and
 * the renderer's HTTP client (which also runs in Node).
 */
export * from './ipc-contract.js';
export * from './shared/pos-api.js';
export { KioskError, toErrorBody } from './shared/kiosk-error.js';
export { computeChange, formatFen, parseYuan, suggestTenders } from './shared/money.js';
export { FakePosApi, FAKE_MEMBER, FAKE_PRODUCTS } from './shared/fake-pos-api.js';
export { createKioskService } from './main/service.js';
export type { KioskService, KioskServiceOptions } from './main/service.js';
export { HttpPosApi } from './main/http-pos-api.js';
export { WATCH_MS } from './main/pos.js';
export { ChannelTable } from './main/ipc.js';
export { startHostServer } from './host/server.js';
export type { HostServer, HostServerOptions } from './host/server.js';
export { buildRenderer, buildPreload, RENDERER_DIST, PRELOAD_DIST } from './host/build-ui.js';
export { OfflineQueue } from './host/offline-queue.js';
export type { JournalRecord, QueuedSale } from './host/offline-queue.js';
export { AppendLog } from './host/append-log.js';
export { parseHostArgs } from './host/cli-args.js';
export { createHttpBridge, createKioskClient, KioskClientError } from './shared/kiosk-client.js';
export type { KioskClient } from './shared/kiosk-client.js';
