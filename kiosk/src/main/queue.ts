/**
 * setupQueue(): the offline queue (host/offline-queue.ts) on the channel map: its status for the
 * banner (queue:status, queue:onStatus) and the banner's 立即同步 (queue:drain).
 */
import type { PosApi } from '../shared/pos-api.js';
import { OfflineQueue } from '../host/offline-queue.js';
import type { ChannelRegistrar } from './ipc.js';

export interface QueueModuleDeps {
  journalPath: string;
  api: () => PosApi | null;
  retryMs?: number;
  retryMaxMs?: number;
  probeMs?: number;
  now?: () => Date;
  log?: (line: string) => void;
}

export async function setupQueue(registrar: ChannelRegistrar, deps: QueueModuleDeps): Promise<OfflineQueue> {
  const queue = await OfflineQueue.open(deps);
  queue.onStatus((status) => registrar.emit('queue:onStatus', status));
  registrar.handle('queue:status', () => queue.status());
  registrar.handle('queue:drain', () => queue.drain());
  // Whatever was left from before a restart goes out as soon as the server answers.
  if (queue.pending().length > 0) void queue.drain().catch((err: unknown) => deps.log?.(`drain failed: ${String(err)}`));
  return queue;
}
